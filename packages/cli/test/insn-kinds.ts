/**
 * A socket filter with an instruction of each kind the kernel prints its own way, for comparing
 * `prog dump xlated` with bpftool and with the verifier's log. `classic` is what bpftool's
 * disassembler knows; `cpuV4` adds the instructions of the v4 instruction set (sign extensions,
 * signed division, byte swaps, long jumps), which the bpftool here is too old to print (it prints
 * `BUG_alu64_d7` and drops the `(s8)`), so they are compared with this kernel's own log only.
 */
const head = `
    r6 = r1
    r0 = *(u8 *)skb[12]
    r7 = 0
    r0 = *(u16 *)skb[r7 + 2]
    *(u64 *)(r10 - 8) = 5
    *(u32 *)(r10 - 16) = -3
    r1 = 1
    lock *(u64 *)(r10 - 8) += r1
    lock *(u32 *)(r10 - 8) |= w1
    r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
    w1 = atomic_fetch_xor((u32 *)(r10 - 8), w1)
    r0 = 2
    r0 = cmpxchg_64(r10 - 8, r0, r1)
    r1 = xchg_64(r10 - 8, r1)
    w2 = w1
    w2 /= 7
    r2 %= 5
    r2 = -r2
    w2 = -w2
    r2 = be16 r2
    r2 = le32 r2
    r4 = *(u32 *)(r10 - 8)
    r5 = 0x1234567890 ll
    r5 = -1 ll
    if w2 > 3 goto +1
    if r2 s> r4 goto +0
    if w2 & w4 goto +0
    if r2 != -2 goto +0
    goto +0`;

const v4 = `
    r2 = (s8)r1
    w3 = (s16)w2
    r2 s/= 3
    r2 s%= r1
    r2 = bswap64 r2
    r3 = *(s8 *)(r10 - 8)
    gotol +0`;

const tail = (jumps: number) => `
    call bpf_get_prandom_u32
    r1 = r6
    r2 = map[fd:${jumps}]
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit`;

/** The program's text without the v4 instructions, with `jumps` the fd of a prog array for its tail call. */
export const classic = (jumps: number) => head + tail(jumps);
/** The program's text with the v4 instructions. */
export const cpuV4 = (jumps: number) => head + v4 + tail(jumps);
