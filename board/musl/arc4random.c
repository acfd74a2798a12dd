// arc4random_buf for the musl builds (board/build *-musl): Embedded Swift seeds its hashing with it,
// glibc >= 2.36 has it, musl 1.2.3 (Debian 12's musl-dev) does not. Linked into hedge only; a musl
// that has its own is simply not consulted for this symbol.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/random.h>

void arc4random_buf(void *buf, size_t n) {
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r > 0) { p += r; n -= (size_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        break;   // ENOSYS: a kernel older than 3.17
    }
    if (n == 0) return;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd >= 0 && n > 0) {
        ssize_t r = read(fd, p, n);
        if (r > 0) { p += r; n -= (size_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        break;
    }
    if (fd >= 0) close(fd);
    if (n > 0) abort();   // arc4random_buf cannot fail: predictable hash seeds are worse than stopping
}
