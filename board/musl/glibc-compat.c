// What a glibc-built libmnl needs from a musl system. Linked into hedge by board/build *-musl, with
// __fprintf_chk exported so that libmnl binds to it.
//
// hedge uses Debian's libmnl0 (a glibc build; Debian ships no static libmnl and its source is not
// reachable here). Its code is used as Debian compiled it; board/build only edits the dynamic section
// with patchelf, so that it names what a musl system has:
//  - NEEDED libc.so.6 becomes libc.so, musl's own name (musl would map libc.so.6 onto itself anyway:
//    ldso/dynlink.c, reserved names "c.pthread.rt.m.dl.util.xnet.").
//  - NEEDED ld-linux-*.so is removed: glibc keeps __stack_chk_guard in its loader; musl's libc exports
//    its own, set up at start, and libmnl binds to it there.
//  - the GLIBC_2.x version on each imported symbol is cleared (musl does not check them; clearing
//    them means no file in the image asks for glibc).
// One symbol is left that musl lacks: __fprintf_chk, glibc's _FORTIFY_SOURCE fprintf, used by libmnl's
// debug dumpers (mnl_nlmsg_fprintf). hedge never calls them, but musl binds every symbol at load time,
// so a missing one would stop the program before main. It is fprintf without glibc's %n check.
// Every other symbol libmnl imports (readelf --dyn-syms: socket, bind, recvmsg, malloc, fwrite,
// __errno_location, __ctype_b_loc, __stack_chk_fail, __cxa_finalize ...) musl exports itself.
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *f, int flag, const char *format, ...) {
    (void)flag;   // the fortify level
    va_list ap;
    va_start(ap, format);
    int n = vfprintf(f, format, ap);
    va_end(ap);
    return n;
}
