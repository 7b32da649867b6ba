# The ACPI table parser over synthetic tables (exact-size heap copies, so ASan sees overreads).
HOST_TESTS += acpi
acpi_SRCS := src/arch/x64/acpi.c tests/host/test_acpi.c
$(HOST_OUT)/test_acpi: src/arch/x64/acpi_tables.h
