/* runtime_user: docker's -u resolution against a rootfs's /etc/passwd and /etc/group
 * (passwd(5): name:password:uid:gid:gecos:home:shell; group(5): name:password:gid:members).
 *
 * The rules are runc's GetExecUser plus moby's getUser: the first matching entry wins; a
 * numeric uid or gid needs no entry (uid with no entry: gid 0, HOME "/"); a name does; with
 * no explicit group, the supplementary groups are those listing the user as a member; the
 * process's groups are the primary gid, then those, then --group-add, each once.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/runtime_int.h"

#define ID_MAX INT32_MAX
#define FIELDS 7

struct field {
        const char *p;
        size_t len;
};

/* parse_id: a decimal id in [0, ID_MAX]; -1 when s is not one. */
static long
parse_id(const char *s, size_t len)
{
        long v = 0;

        if (len == 0 || len > 10)
                return -1;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v <= ID_MAX ? v : -1;
}

static int
field_eq(const struct field *f, const char *s)
{
        return strlen(s) == f->len && memcmp(f->p, s, f->len) == 0;
}

/* next_entry: split the next non-empty, non-comment line of *text into fields at ':'.
 * Returns the number of fields, 0 at the end. */
static size_t
next_entry(const char **text, struct field f[FIELDS])
{
        while (**text) {
                const char *line = *text;
                const char *end = strchr(line, '\n');
                size_t n = 0;

                if (!end)
                        end = line + strlen(line);
                *text = *end ? end + 1 : end;
                while (line < end && (*line == ' ' || *line == '\t'))
                        line++;
                while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                        end--;
                if (line == end || *line == '#')
                        continue;
                memset(f, 0, sizeof(*f) * FIELDS);
                while (n < FIELDS) {
                        const char *c = memchr(line, ':', (size_t)(end - line));

                        f[n].p = line;
                        f[n].len = (size_t)((c ? c : end) - line);
                        n++;
                        if (!c)
                                break;
                        line = c + 1;
                }
                return n;
        }
        return 0;
}

/* member_of: whether the comma list f contains name. */
static int
member_of(const struct field *f, const char *name)
{
        size_t nlen = strlen(name);
        const char *p = f->p, *end = f->p + f->len;

        while (p < end) {
                const char *c = memchr(p, ',', (size_t)(end - p));
                size_t len = (size_t)((c ? c : end) - p);

                if (len == nlen && memcmp(p, name, len) == 0)
                        return 1;
                p = c ? c + 1 : end;
        }
        return 0;
}

/* add_group: append gid unless it is there already. */
static void
add_group(struct rt_user *u, size_t *cap, gid_t gid)
{
        for (size_t i = 0; i < u->n_groups; i++)
                if (u->groups[i] == gid)
                        return;
        GROW(u->groups, *cap, u->n_groups + 1);
        u->groups[u->n_groups++] = gid;
}

/* find_user: the first passwd entry matching user_arg (all when empty: uid 0). */
static int
find_user(const char *passwd, const char *user_arg, long uid_num, struct rt_user *u,
          char **ret_name)
{
        struct field f[FIELDS];
        const char *p = passwd;
        size_t n;

        while (passwd && (n = next_entry(&p, f)) > 0) {
                long uid = n > 2 ? parse_id(f[2].p, f[2].len) : -1;
                int match;

                if (uid < 0)
                        continue;
                if (!*user_arg)
                        match = uid == 0;
                else if (uid_num >= 0)
                        match = uid == uid_num;
                else
                        match = field_eq(&f[0], user_arg);
                if (!match)
                        continue;
                u->uid = (uid_t)uid;
                u->gid = n > 3 && parse_id(f[3].p, f[3].len) >= 0
                                 ? (gid_t)parse_id(f[3].p, f[3].len)
                                 : 0;
                free(u->home);
                u->home = n > 5 && f[5].len ? xstrndup(f[5].p, f[5].len) : xstrdup("/");
                *ret_name = xstrndup(f[0].p, f[0].len);
                return 1;
        }
        return 0;
}

/* group_gid: the gid of the first group entry whose name or gid is arg; -1 when none. */
static long
group_gid(const char *group, const char *arg, int by_name_or_gid)
{
        long num = parse_id(arg, strlen(arg));
        struct field f[FIELDS];
        const char *p = group;

        while (group && next_entry(&p, f) > 2) {
                long gid = parse_id(f[2].p, f[2].len);

                if (gid < 0)
                        continue;
                if (by_name_or_gid ? (field_eq(&f[0], arg) || gid == num)
                                   : (num >= 0 ? gid == num : field_eq(&f[0], arg)))
                        return gid;
        }
        return -1;
}

static void
add_member_groups(const char *group, const char *name, struct rt_user *u, size_t *cap)
{
        struct field f[FIELDS];
        const char *p = group;
        size_t n;

        while (group && (n = next_entry(&p, f)) > 2) {
                long gid = parse_id(f[2].p, f[2].len);

                if (gid >= 0 && n > 3 && member_of(&f[3], name))
                        add_group(u, cap, (gid_t)gid);
        }
}

static int
add_extra_groups(const char *group, char *const *group_add, struct rt_user *u, size_t *cap,
                 struct err *err)
{
        for (size_t i = 0; group_add && group_add[i]; i++) {
                long gid = group_gid(group, group_add[i], 1);

                if (gid < 0)
                        gid = parse_id(group_add[i], strlen(group_add[i]));
                if (gid < 0)
                        return err_setf(err, -EINVAL, "unable to find group %s", group_add[i]);
                add_group(u, cap, (gid_t)gid);
        }
        return 0;
}

static int
resolve_group(const char *group, const char *group_arg, struct rt_user *u, struct err *err)
{
        long gid = group_gid(group, group_arg, 0);

        if (gid < 0)
                gid = parse_id(group_arg, strlen(group_arg));
        if (gid < 0)
                return err_setf(err, -EINVAL,
                                "unable to find group %s: no matching entries in group file",
                                group_arg);
        u->gid = (gid_t)gid;
        return 0;
}

int
rt_user_resolve(const char *spec, const char *passwd, const char *group, char *const *group_add,
                struct rt_user *ret, struct err *err)
{
        cleanup_free char *user_arg = xstrdup(spec ? spec : "");
        cleanup_free char *name = NULL;
        struct rt_user u = { .home = xstrdup("/") };
        char *group_arg = strchr(user_arg, ':');
        size_t cap = 0;
        long uid_num;
        int r = 0;

        if (group_arg)
                *group_arg++ = '\0';
        uid_num = parse_id(user_arg, strlen(user_arg));
        if (!find_user(passwd, user_arg, uid_num, &u, &name) && *user_arg) {
                if (uid_num < 0)
                        r = err_setf(err, -EINVAL,
                                     "unable to find user %s: no matching entries in passwd file",
                                     user_arg);
                u.uid = (uid_t)uid_num;
        }
        if (r == 0 && group_arg && *group_arg)
                r = resolve_group(group, group_arg, &u, err);
        if (r == 0) {
                add_group(&u, &cap, u.gid);
                if (name && !(group_arg && *group_arg))
                        add_member_groups(group, name, &u, &cap);
                r = add_extra_groups(group, group_add, &u, &cap, err);
        }
        if (r == 0 && u.n_groups > RT_GROUPS_MAX)
                r = err_setf(err, -E2BIG, "user %s: more than %d groups", user_arg, RT_GROUPS_MAX);
        if (r < 0) {
                rt_user_release(&u);
                return r;
        }
        *ret = u;
        return 0;
}

void
rt_user_release(struct rt_user *u)
{
        free(u->groups);
        free(u->home);
        memset(u, 0, sizeof(*u));
}
