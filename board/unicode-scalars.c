// The six Unicode-data lookups Embedded Swift's String calls, answered without the tables, in place of
// libswiftUnicodeDataTables.a (board/build links this instead: 37 KB of tables and lookups less).
//
// What it means: every scalar is treated as already normalised (NFC and NFD quick-check "yes",
// combining class 0) and as its own grapheme cluster. So String == and hashing compare Unicode
// scalars one by one, as BIRD, FRR and the kernel compare names (byte-wise, strcmp), instead of by
// canonical equivalence; a precomposed "é" and "e"+U+0301 are different names, and a Character is a
// scalar. hedge's configuration words, interface and peer names are ASCII, where nothing changes:
// Swift answers ASCII from its own fast paths and never asks these. The ordinary build (the tests)
// keeps the full Unicode semantics.
//
// The answers are the "no data" values of the stdlib's own lookups (swift/stdlib/public/stubs/Unicode);
// decomposition is never asked for a scalar whose quick-check says "yes", so it traps if it is.
#include <stdbool.h>
#include <stdint.h>

#define STDLIB_CC __attribute__((swiftcall))

const uint8_t *const _swift_stdlib_nfd_decompositions = 0;

STDLIB_CC uint16_t _swift_stdlib_getNormData(uint32_t scalar) { (void)scalar; return 0; }

STDLIB_CC uint32_t _swift_stdlib_getDecompositionEntry(uint32_t scalar) { (void)scalar; __builtin_trap(); }

STDLIB_CC uint32_t _swift_stdlib_getComposition(uint32_t x, uint32_t y) { (void)x; (void)y; return UINT32_MAX; }

STDLIB_CC uint8_t _swift_stdlib_getGraphemeBreakProperty(uint32_t scalar) { (void)scalar; return 0xFF; }   // .any

STDLIB_CC bool _swift_stdlib_isExtendedPictographic(uint32_t scalar) { (void)scalar; return false; }

STDLIB_CC bool _swift_stdlib_isInCB_Consonant(uint32_t scalar) { (void)scalar; return false; }
