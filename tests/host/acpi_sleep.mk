# The \_S5_ decoder over good and malformed AML (exact-size heap copies, so ASan sees overreads).
HOST_TESTS += acpi_sleep
acpi_sleep_SRCS := src/arch/x64/acpi_sleep.c tests/host/test_acpi_sleep.c
$(HOST_OUT)/test_acpi_sleep: include/arch/x64/acpi_sleep.h
