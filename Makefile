# Nautilus aerokernel: configured with Kconfig, built by kbuild-style Makefiles (one per
# directory, walked by scripts/Makefile.build), booted by GRUB (multiboot2) or QEMU -kernel (PVH).
# "make help" lists the targets. O=<dir> puts the configuration and everything built there.

.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules --no-builtin-variables

O ?=
cfgdir := $(if $(O),$(O),.)
objdir := $(if $(O),$(O)/obj,build)
ifeq ($(V),)
Q := @
MAKEFLAGS += --no-print-directory
endif
export cfgdir objdir Q V

CC := gcc
LD := ld
NM := nm
OBJCOPY := objcopy
PYTHON := python3
QEMU := qemu-system-x86_64
export CC LD

# The kernel proper uses only general registers (no SSE/x87): interrupt and context-switch paths
# then never save vector state, and the FPU is set up for the runtimes that want it (later),
# not needed by the kernel. Frame pointers stay on for the symbolized backtraces.
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-mgeneral-regs-only -mno-red-zone -mcmodel=small -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-common -fno-strict-aliasing \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -I$(cfgdir)/include -include $(cfgdir)/include/generated/autoconf.h
KAFLAGS := -D__ASSEMBLY__ -Iinclude -I$(cfgdir)/include -include $(cfgdir)/include/generated/autoconf.h
LIBGCC := $(shell $(CC) -print-libgcc-file-name)
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --build-id=none \
	--no-warn-rwx-segments -T link/nautilus.ld
export KCFLAGS KAFLAGS

include scripts/Makefile.lib

config := $(cfgdir)/.config
autoconf := $(cfgdir)/include/config/auto.conf
kconfigs := Kconfig $(wildcard src/*/Kconfig src/*/*/Kconfig src/*/*/*/Kconfig)
kernel := $(cfgdir)/nautilus.bin
ISO ?= $(cfgdir)/nautilus.iso
iso := $(ISO)
ISO_CMDLINE ?=

# kconfig-frontends runs in the configuration directory (it writes include/config/*.h there,
# one file per changed symbol, which scripts/fixdep turns into per-symbol dependencies).
kconf_env = cd $(cfgdir) && srctree=$(CURDIR) KCONFIG_CONFIG=.config \
	KCONFIG_AUTOCONFIG=include/config/auto.conf KCONFIG_AUTOHEADER=include/generated/autoconf.h
kconf = mkdir -p $(cfgdir)/include/config $(cfgdir)/include/generated && $(kconf_env) kconfig-conf

.PHONY: all deps defconfig %_defconfig menuconfig oldconfig olddefconfig savedefconfig \
	isoimage run qemu check hostcheck format clean distclean help boot-time bench FORCE

##### configuration

deps:
	$(Q)scripts/setup-deps $(DEPS)

defconfig: default_defconfig

%_defconfig: configs/%_defconfig deps
	$(Q)$(kconf) -s --defconfig=$(CURDIR)/$< $(CURDIR)/Kconfig
	$(Q)$(kconf) -s --silentoldconfig $(CURDIR)/Kconfig
	@echo "  CONF    $(config) from $<"

menuconfig: deps
	$(Q)test -f $(config) || $(MAKE) defconfig
	$(Q)$(kconf_env) kconfig-mconf $(CURDIR)/Kconfig
	$(Q)$(kconf) -s --silentoldconfig $(CURDIR)/Kconfig

oldconfig olddefconfig: deps
	$(Q)$(kconf) --$@ $(CURDIR)/Kconfig
	$(Q)$(kconf) -s --silentoldconfig $(CURDIR)/Kconfig

savedefconfig: $(config)
	$(Q)$(kconf) --savedefconfig=defconfig $(CURDIR)/Kconfig
	@echo "  CONF    $(cfgdir)/defconfig (copy it to configs/<name>_defconfig to keep it)"

$(config):
	@echo "no configuration ($(config)): run 'make defconfig' (or 'make <name>_defconfig' with a file from configs/)" >&2
	@false

# A changed .config or Kconfig file regenerates auto.conf/autoconf.h (and the symbol files).
$(autoconf): $(config) $(kconfigs)
	$(Q)$(kconf) -s --olddefconfig $(CURDIR)/Kconfig
	$(Q)$(kconf) -s --silentoldconfig $(CURDIR)/Kconfig

##### the kernel image

all: $(kernel) $(cfgdir)/nautilus.sym

$(objdir)/src/built-in.o: $(autoconf) FORCE
	$(Q)$(MAKE) -f scripts/Makefile.build dir=src

# Two links: the first without symbols, the second with the table generated from the first.
# The table is the image's last section, so no other address moves between the two links.
$(kernel): $(objdir)/src/built-in.o link/nautilus.ld scripts/gensyms scripts/mkversion
	$(Q)scripts/mkversion > $(objdir)/version.c
	$(call cmd,cc_version)
	$(Q)scripts/gensyms < /dev/null > $(objdir)/symtab0.S
	$(Q)$(CC) $(KAFLAGS) -c -o $(objdir)/symtab0.o $(objdir)/symtab0.S
	$(call cmd,link,$(objdir)/symtab0.o,$(objdir)/nautilus.tmp)
	$(Q)$(NM) -n --defined-only $(objdir)/nautilus.tmp | scripts/gensyms > $(objdir)/symtab.S
	$(Q)$(CC) $(KAFLAGS) -c -o $(objdir)/symtab.o $(objdir)/symtab.S
	$(call cmd,link,$(objdir)/symtab.o,$@)
	$(Q)scripts/gensyms --check $(objdir)/nautilus.tmp $@

quiet_cc_version = CC      $(objdir)/version.c
cmd_cc_version = $(CC) $(KCFLAGS) -c -o $(objdir)/version.o $(objdir)/version.c
quiet_link = LD      $(3)
cmd_link = $(LD) $(KLDFLAGS) -o $(3) $(objdir)/src/built-in.o $(objdir)/version.o $(2) $(LIBGCC)

$(cfgdir)/nautilus.sym: $(kernel)
	$(call cmd,nm)
quiet_nm = NM      $@
cmd_nm = $(NM) -n $< > $@

##### boot media and QEMU

isoimage: $(iso)
$(iso): $(kernel) configs/grub.cfg FORCE
	$(Q)scripts/setup-deps grub
	$(call cmd,iso)
quiet_iso = ISO     $@
cmd_iso = scripts/mkiso $(kernel) $@ configs/grub.cfg "$(ISO_CMDLINE)"

# The devices "make run" attaches: a virtio-blk disk (made with the test pattern if absent, kept
# across runs), a virtio-net and an e1000 on QEMU's user networking (gateway 10.0.2.2).
QEMU_FLAGS ?= -m 512M -smp 1
DISK ?= $(objdir)/disk.img
QEMU_DEVICES ?= -nic none \
	-drive file=$(DISK),if=none,format=raw,id=disk0 -device virtio-blk-pci,drive=disk0 \
	-netdev user,id=u0 -device virtio-net-pci,netdev=u0 \
	-netdev user,id=u1 -device e1000,netdev=u1
run qemu: deps
	$(Q)test -f $(config) || $(MAKE) defconfig
	$(Q)$(MAKE) all isoimage
	$(Q)test -f $(DISK) || scripts/mkdisk $(DISK) 64
	@echo "  QEMU    $(iso) (serial console here; Ctrl-A X quits QEMU)"
	$(Q)$(QEMU) $(if $(filter 1,$(NK_KVM)),-accel kvm -cpu host,-accel tcg) $(QEMU_FLAGS) \
		-display none -serial mon:stdio -no-reboot $(QEMU_DEVICES) \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom $(iso) -boot d ; \
		status=$$?; [ $$status -eq 1 ] || [ $$status -eq 0 ]

##### tests

# Host unit tests, then the in-kernel suites booted from -kernel and from the GRUB ISO, then a
# shell session over the serial line. Uses its own configuration (configs/test_defconfig) in
# build/check, so the user's .config is not touched.
check: deps
	$(Q)$(PYTHON) scripts/run-tests

hostcheck:
	$(Q)$(PYTHON) scripts/run-tests --skip kernel,iso,shell

boot-time: deps
	$(Q)$(PYTHON) scripts/boot-time

# Microbenchmarks of the kernel and of a Linux guest in QEMU 10 under -icount, side by side,
# then disk and NIC throughput under plain TCG (fetches QEMU 10 and the guest into
# build/third_party/ first). BENCH_ARGS="--runs 2", "--no-io", "--io-only" ...
bench: deps
	$(Q)$(PYTHON) scripts/bench $(BENCH_ARGS)

##### maintenance

format:
	$(Q)scripts/setup-deps format
	$(Q)find include src tests -name '*.[ch]' | xargs clang-format -i --style=file

clean:
	$(Q)rm -rf build $(if $(O),$(O)/obj) $(cfgdir)/nautilus.bin $(cfgdir)/nautilus.sym $(cfgdir)/nautilus.iso

distclean: clean
	$(Q)rm -rf $(cfgdir)/.config $(cfgdir)/.config.old $(cfgdir)/include/config \
		$(cfgdir)/include/generated $(cfgdir)/defconfig

help:
	@echo 'Configuration:'
	@echo '  defconfig          configs/default_defconfig (what "make run" uses)'
	@echo '  <name>_defconfig   any file in configs/ (test_defconfig: tests compiled in)'
	@echo '  menuconfig         edit the configuration in a menu'
	@echo '  oldconfig          update .config, asking about new options'
	@echo '  olddefconfig       update .config, new options take their defaults'
	@echo '  savedefconfig      write a minimal ./defconfig from .config'
	@echo 'Build and run:'
	@echo '  all (default)      nautilus.bin and nautilus.sym'
	@echo '  isoimage           nautilus.iso (GRUB, menu on serial, timeout 0; ISO_CMDLINE=..., ISO=path)'
	@echo '  run, qemu          configure if needed, build, boot the ISO in QEMU on this terminal'
	@echo '  check              host unit tests + in-kernel tests (-kernel and ISO) + shell session'
	@echo '  hostcheck          host unit tests only (cmocka, ASan/UBSan)'
	@echo '  boot-time          measure boot-to-prompt time of the ISO and -kernel boots'
	@echo '  bench              kernel vs Linux guest: microbenchmarks (-icount), I/O (BENCH_ARGS=...)'
	@echo '  format             clang-format every C file'
	@echo '  clean, distclean   remove what was built (distclean: also the configuration)'
	@echo 'Variables: V=1 full commands, O=<dir> build directory, NK_KVM=1 use KVM, QEMU_FLAGS=...'
