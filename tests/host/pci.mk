# The PCI core's computing parts: id-table matching, BAR decoding, the capability walk.
HOST_TESTS += pci
pci_SRCS := src/dev/pci/pci_decode.c tests/host/test_pci.c
$(HOST_OUT)/test_pci: src/dev/pci/pci_priv.h
