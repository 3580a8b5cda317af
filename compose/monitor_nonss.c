/* monitor_nonss: berth-monitor is linked statically, and glibc's name-service functions
 * (getaddrinfo, getprotobyname, …) would load NSS modules with dlopen at run time, from the
 * glibc of the host, which a static binary must not do. The monitor and the DNS responder
 * resolve no names (container users come from the image's /etc/passwd, upstream DNS servers
 * from /etc/resolv.conf, both parsed by berth); the only callers are libnl functions berth
 * never uses (nl_addr_info, nl_addr_resolve, nl_ip_proto2str, nl_str2ip_proto). These
 * definitions take the place of glibc's in the static link, so that NSS (nsswitch, the
 * resolver, dlopen of its modules) is not linked at all, and fail cleanly.
 */
#include <errno.h>
#include <netdb.h>
#include <stddef.h>

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
        (void)node;
        (void)service;
        (void)hints;
        *res = NULL;
        errno = ENOSYS;
        return EAI_SYSTEM;
}

int
getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
            char *serv, socklen_t servlen, int flags)
{
        (void)addr;
        (void)addrlen;
        (void)host;
        (void)hostlen;
        (void)serv;
        (void)servlen;
        (void)flags;
        errno = ENOSYS;
        return EAI_SYSTEM;
}

void
freeaddrinfo(struct addrinfo *res)
{
        (void)res;
}

struct protoent *
getprotobyname(const char *name)
{
        (void)name;
        errno = ENOSYS;
        return NULL;
}

struct protoent *
getprotobynumber(int proto)
{
        (void)proto;
        errno = ENOSYS;
        return NULL;
}
