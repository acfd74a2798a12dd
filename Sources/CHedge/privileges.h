// Dropping root for `hedge run --user NAME`: the agent keeps only the capabilities it names.
#ifndef HEDGE_PRIVILEGES_H
#define HEDGE_PRIVILEGES_H
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/// uid and primary gid of a user; 0 on success, -1 (errno ENOENT when there is no such user).
static inline int hedge_lookup_user(const char *name, unsigned *uid, unsigned *gid) {
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (!pw) { if (errno == 0) errno = ENOENT; return -1; }
    *uid = (unsigned)pw->pw_uid; *gid = (unsigned)pw->pw_gid;
    return 0;
}

/// Becomes uid/gid keeping the capabilities in `keep` (bit n = capability n) permitted and
/// effective, drops every other one from the bounding set, and sets no_new_privs. Returns 0, or
/// the failed step (1 bounding set, 2 setgroups, 3 setresgid, 4 keepcaps, 5 setresuid, 6 capset,
/// 7 no_new_privs) with errno set.
static inline int hedge_drop_privileges(unsigned uid, unsigned gid, uint64_t keep) {
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & ((uint64_t)1 << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return 1;
    }
    gid_t g = (gid_t)gid;
    if (setgroups(1, &g) != 0) return 2;
    if (setresgid(g, g, g) != 0) return 3;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return 4;
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) return 5;
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = {{0, 0, 0}, {0, 0, 0}};
    d[0].effective = d[0].permitted = (uint32_t)keep;
    d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
    if (syscall(SYS_capset, &h, d) != 0) return 6;
    (void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 7;
    return 0;
}

/// The effective capability set (bit n = capability n), or all ones if it cannot be read.
static inline uint64_t hedge_effective_caps(void) {
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) return ~(uint64_t)0;
    return (uint64_t)d[0].effective | ((uint64_t)d[1].effective << 32);
}
#endif
