"""How the scripts start QEMU: one place for the machine shape, boot path and exit codes.

Imported by scripts/run-tests, scripts/shell-session and scripts/boot-time.
"""
import os
import shutil
import subprocess
import sys

# isa-debug-exit: the kernel writes a code c, QEMU exits with (c << 1) | 1 (include/nautilus/arch.h).
EXIT_PASS = (0x10 << 1) | 1
EXIT_FAIL = (0x11 << 1) | 1
EXIT_PANIC = (0x12 << 1) | 1
EXIT_SHUTDOWN = (0x00 << 1) | 1

QEMU = os.environ.get("NK_QEMU", "qemu-system-x86_64")


def accel():
    """TCG unless the user asks for KVM (NK_KVM=1): this machine's KVM is far slower (DESIGN.md)."""
    return ["-accel", "kvm", "-cpu", "host"] if os.environ.get("NK_KVM") == "1" else ["-accel", "tcg"]


def qemu_args(image, boot="kernel", append="", mem="256M", smp=1, extra=()):
    """Arguments to boot image: boot="kernel" (PVH, -kernel) or "iso" (GRUB from -cdrom).

    The serial line is on stdio, the debug-exit device lets the kernel choose QEMU's status,
    and -no-reboot turns a triple fault into QEMU exit status 0 (distinct from every kernel code).
    """
    args = [QEMU, *accel(), "-m", mem, "-smp", str(smp), "-display", "none",
            "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if boot == "kernel":
        args += ["-kernel", image]
        if append:
            args += ["-append", append]
    elif boot == "iso":
        if append:
            raise ValueError("a GRUB boot takes its command line from the ISO's grub.cfg")
        args += ["-cdrom", image, "-boot", "d"]
    else:
        raise ValueError("boot must be 'kernel' or 'iso'")
    return args + list(extra)


def require_qemu():
    if shutil.which(QEMU) is None:
        sys.exit(f"{QEMU} not found: run 'make deps' or apt-get install qemu-system-x86")


def start(args):
    """Start QEMU with the serial line on pipes (unbuffered bytes)."""
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=0)
