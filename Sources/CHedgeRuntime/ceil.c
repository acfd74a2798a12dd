// ceil(3) for the Embedded build, so that hedge does not need libm.
//
// The only libm function the agent's code reaches is ceil, from the standard library's hash-table
// sizing (Dictionary/Set capacity / load factor, rounded up); on aarch64 and armv7 the compiler turns
// it into one instruction, on baseline x86_64 it is a call. Linking libm for it maps the whole library
// into the agent: ~350 kB of resident memory on x86_64 for one function. musl's libc has its own ceil,
// which this one overrides with the same results.
#ifdef HEDGE_EMBEDDED
double ceil(double x) {
    // 2^52: from here on every double is an integer; also lets NaN and infinities through unchanged.
    if (!(__builtin_fabs(x) < 4503599627370496.0)) return x;
    double t = (double)(long long)x;             // rounds toward zero
    if (t < x) t += 1.0;
    return __builtin_copysign(t, x);             // ceil(-0.5) is -0.0
}
#endif
