"""How the scripts start QEMU: one place for the machine shape, boot path and exit codes.

Imported by scripts/run-tests, scripts/shell-session and scripts/boot-time.
"""
import os
import select
import shutil
import subprocess
import sys
import time

# isa-debug-exit: the kernel writes a code c, QEMU exits with (c << 1) | 1 (include/nautilus/arch.h).
EXIT_PASS = (0x10 << 1) | 1
EXIT_FAIL = (0x11 << 1) | 1
EXIT_PANIC = (0x12 << 1) | 1
EXIT_SHUTDOWN = (0x00 << 1) | 1

QEMU = os.environ.get("NK_QEMU", "qemu-system-x86_64")
# QEMU 10 from bookworm-backports, unpacked by scripts/fetch-qemu (with its firmware): needed for
# several CPUs under icount, which QEMU 7.2 live-locks (DESIGN.md).
QEMU10 = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "build/third_party/qemu10/qemu-system-x86_64")
# One guest instruction per TSC tick (shift=0), and no real time passing while every vCPU
# sleeps (sleep=off): a TSC delta is an instruction count, the same from run to run.
ICOUNT = ["-icount", "shift=0,sleep=off"]
# Two NUMA nodes of two CPUs and 1 GiB each, 21 apart, for -smp 4 -m 2G (QEMU 7.2 refuses
# -numa node,mem=, hence the memory backends).
NUMA2 = ["-object", "memory-backend-ram,id=m0,size=1G",
         "-object", "memory-backend-ram,id=m1,size=1G",
         "-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
         "-numa", "node,nodeid=1,cpus=2-3,memdev=m1",
         "-numa", "dist,src=0,dst=1,val=21"]
PROMPT = b"root-shell> "
KEY_DELAY = 0.002  # seconds between typed bytes


def accel():
    """TCG unless the user asks for KVM (NK_KVM=1): this machine's KVM is far slower (DESIGN.md)."""
    return ["-accel", "kvm", "-cpu", "host"] if os.environ.get("NK_KVM") == "1" else ["-accel", "tcg"]


def qemu_args(image, boot="kernel", append="", mem="256M", smp=1, extra=(), exit_device=True,
              icount=False, qemu=None):
    """Arguments to boot image: boot="kernel" (PVH, -kernel) or "iso" (GRUB from -cdrom).

    The serial line is on stdio, the debug-exit device lets the kernel choose QEMU's status
    (without it, exit_device=False, the kernel's own power-off and reset paths are used),
    and -no-reboot turns a triple fault into QEMU exit status 0 (distinct from every kernel code).
    icount=True adds ICOUNT; qemu names another QEMU than QEMU (e.g. QEMU10).
    """
    args = [qemu or QEMU, *accel(), "-m", mem, "-smp", str(smp), "-display", "none",
            "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    if icount:
        args += ICOUNT
    if exit_device:
        args += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
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


def _read_until(proc, out, pattern, deadline):
    """Append QEMU's output to out until pattern appears in it; False at EOF or the deadline."""
    fd = proc.stdout.fileno()
    while pattern not in out:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        data = os.read(fd, 4096)
        if not data:
            return False
        out += data
    return True


def type_at_prompt(args, keys, timeout):
    """Boot args to the shell prompt, type keys a byte at a time, and read until QEMU exits.

    Returns (QEMU's exit status, or None if it was still running at the timeout and was killed;
    everything it printed). Without a prompt nothing is typed.
    """
    proc = start(args)
    out = bytearray()
    deadline = time.monotonic() + timeout
    if _read_until(proc, out, PROMPT, deadline):
        try:
            for b in keys:
                proc.stdin.write(bytes([b]))
                proc.stdin.flush()
                time.sleep(KEY_DELAY)
        except BrokenPipeError:
            pass  # QEMU exited while we typed: its status tells what happened
    _read_until(proc, out, b"\0no such output\0", deadline)  # to EOF or the deadline
    try:
        status = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        status = None
    return status, bytes(out)


# ---- the devices the test kernels and "make run" are given ----

# Word k (64-bit, little-endian, at byte offset 8k) of a disk image made by make_disk holds
# k * GOLDEN mod 2^64: every block differs from every other, so a read of the wrong block shows.
GOLDEN = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1
# The blk suite writes the MiB at WRITTEN_AT of the writable disk with the complement of the
# pattern; check_written finds it there on the host after the guest shut down.
WRITTEN_AT = 8 << 20
WRITTEN_LEN = 1 << 20
DISK_SIZE = 16 << 20
RO_DISK_SIZE = 1 << 20


def pattern_bytes(offset, length, invert=False):
    """The image bytes [offset, offset+length) (both multiples of 8) of the pattern."""
    import array
    first = offset // 8
    flip = MASK64 if invert else 0
    words = array.array("Q", (((k * GOLDEN) & MASK64) ^ flip
                              for k in range(first, first + length // 8)))
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()


def make_disk(path, size):
    """Write the pattern image of size bytes to path (through a temporary file, so a reader never
    sees half an image)."""
    chunk = 1 << 20
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        for off in range(0, size, chunk):
            f.write(pattern_bytes(off, min(chunk, size - off)))
    os.replace(tmp, path)


def check_written(path):
    """None if the guest's write is on disk and the rest of the image kept its pattern, else
    what differs (the first differing byte's offset)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != DISK_SIZE:
        return f"{path}: {len(data)} bytes, expected {DISK_SIZE}"
    regions = [(WRITTEN_AT, WRITTEN_LEN, True), (0, WRITTEN_AT, False),
               (WRITTEN_AT + WRITTEN_LEN, DISK_SIZE - WRITTEN_AT - WRITTEN_LEN, False)]
    for off, length, inverted in regions:
        want = pattern_bytes(off, length, inverted)
        got = data[off:off + length]
        if got != want:
            at = next(i for i in range(length) if got[i] != want[i])
            what = "the guest's write" if inverted else "the pattern"
            return f"{path}: byte 0x{off + at:x} is not {what}"
    return None


# Fixed slots, so that names and interrupt lines do not depend on the order of arguments.
# MACs tell the tests which NIC is which: 01/02 on user networking (QEMU's gateway 10.0.2.2
# answers ARP), 03/04 on one hub, so frames sent by one arrive at the other.
def devices(disk, ro_disk, legacy_blk1=False, intx_hub_net=False):
    """QEMU arguments for two virtio-blk disks (disk writable, ro_disk read-only), a virtio-net
    and an e1000 on user networking, and a virtio-net and an e1000 on one hub. legacy_blk1: the
    read-only disk offers only the legacy virtio interface; intx_hub_net: the hub's virtio-net
    has no MSI-X vectors, so it interrupts through INTx."""
    blk1 = ",disable-modern=on" if legacy_blk1 else ""
    net3 = ",vectors=0" if intx_hub_net else ""
    return ["-nic", "none",
            "-drive", f"file={disk},if=none,format=raw,id=disk0",
            "-device", "virtio-blk-pci,drive=disk0,addr=0x4",
            "-drive", f"file={ro_disk},if=none,format=raw,id=disk1,readonly=on",
            "-device", f"virtio-blk-pci,drive=disk1,addr=0x5{blk1}",
            "-netdev", "user,id=u0",
            "-device", "virtio-net-pci,netdev=u0,mac=52:54:00:12:34:01,addr=0x6",
            "-netdev", "user,id=u1",
            "-device", "e1000,netdev=u1,mac=52:54:00:12:34:02,addr=0x7",
            "-netdev", "hubport,id=h0,hubid=1",
            "-device", f"virtio-net-pci,netdev=h0,mac=52:54:00:12:34:03,addr=0x8{net3}",
            "-netdev", "hubport,id=h1,hubid=1",
            "-device", "e1000,netdev=h1,mac=52:54:00:12:34:04,addr=0x9",
            # COM2, for the serial suite's loopback test (COM1 is the console).
            "-serial", "null"]
