/* cmd_container_cp: `container cp [-a] [-L] SRC DST`, docker's forms:
 *   CONTAINER:SRC_PATH DEST_PATH|-     from the container (to stdout as a tar with "-")
 *   SRC_PATH|- CONTAINER:DEST_PATH     into the container (a tar from stdin with "-")
 * The copy itself is ctr_cp (engine/container.h), which resolves container paths inside the
 * container's root only. A host path with a ':' must be written with a '/' in it (./a:b),
 * as docker asks.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "compose/container_int.h"

/* container_part: for "NAME:PATH" the name (owned) and *ret_path; NULL for a host path
 * (anything with a '/' before the first ':', or no ':'). */
static char *
container_part(const char *arg, const char **ret_path)
{
        const char *colon = strchr(arg, ':');
        const char *slash = strchr(arg, '/');

        if (!colon || colon == arg || (slash && slash < colon))
                return NULL;
        *ret_path = colon + 1;
        return xstrndup(arg, (size_t)(colon - arg));
}

static int
parse(int argc, char **argv, struct ctr_cp_opts *o, struct err *err)
{
        static const struct option opts[] = {
                { "archive", no_argument, NULL, 'a' },
                { "follow-link", no_argument, NULL, 'L' },
                { "quiet", no_argument, NULL, 'q' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "aLq", opts, NULL)) != -1) {
                if (c == 'a')
                        o->archive = 1;
                else if (c == 'L')
                        o->follow = 1;
                else if (c != 'q')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container cp'",
                                        argv[optind - 1]);
        }
        if (argc - optind != 2)
                return err_setf(err, -EINVAL,
                                "'container cp' requires exactly 2 arguments: "
                                "SRC DST (one of them CONTAINER:PATH)");
        return optind;
}

int
cmd_container_cp(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct ctr_cp_opts o = { 0 };
        const char *spath = NULL, *dpath = NULL;
        cleanup_free char *sname = NULL, *dname = NULL;
        struct ctr *c = NULL;
        int first = parse(argc, argv, &o, err), r;

        if (first < 0)
                return first;
        sname = container_part(argv[first], &spath);
        dname = container_part(argv[first + 1], &dpath);
        if (!sname == !dname)
                return err_setf(err, -EINVAL,
                                sname ? "copying between containers is not "
                                        "supported"
                                      : "must specify at least one container source");
        if (!(sname ? spath : dpath)[0])
                return err_setf(err, -EINVAL, "the container path must not be empty");
        r = ctr_open(g->root, g->run_root, sname ? sname : dname, &c, err);
        if (r >= 0)
                r = dname ? ctr_cp(c, argv[first], dpath, 1, &o, err)
                          : ctr_cp(c, spath, argv[first + 1], 0, &o, err);
        ctr_free(c);
        return r < 0 ? err_prefix(err, "copy") : 0;
}
