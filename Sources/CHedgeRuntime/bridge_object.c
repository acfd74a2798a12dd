// Corrected Embedded Swift runtime entry points (Embedded builds only).
//
// Swift 6.3's Embedded runtime returns the *untagged* object from swift_bridgeObjectRetain(_n)
// (object & 0x8fff_ffff_ffff_fff8), while the compiler may use the return value in place of the
// argument. On aarch64 -Osize that turns a small String's discriminator 0xE7.. into 0x87.. and the
// next string comparison dereferences garbage (seen as a SIGSEGV in `hedge version` under qemu).
// Upstream later fixed it by returning the argument; these strong definitions override the weak
// ones the compiler emits, with the fixed behaviour.
#include <stdint.h>
#include "CHedgeRuntime.h"

int hedge_runtime_fixes(void) {
#ifdef HEDGE_EMBEDDED
    return 1;
#else
    return 0;
#endif
}

#ifdef HEDGE_EMBEDDED
void *swift_retain_n(void *object, uint32_t n);

#if UINTPTR_MAX == 0xffffffffu
#define BRIDGE_OBJECT_TO_PLAIN_OBJECT_MASK ((uintptr_t)0xffffffffu)
#else
#define BRIDGE_OBJECT_TO_PLAIN_OBJECT_MASK ((uintptr_t)0x8ffffffffffffff8ull)
#endif

void *swift_bridgeObjectRetain_n(void *object, uint32_t n) {
    (void)swift_retain_n((void *)((uintptr_t)object & BRIDGE_OBJECT_TO_PLAIN_OBJECT_MASK), n);
    return object;
}

void *swift_bridgeObjectRetain(void *object) {
    return swift_bridgeObjectRetain_n(object, 1);
}
#endif
