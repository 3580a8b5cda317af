/* `berth image pull|push`, `berth login|logout`: the registry commands (engine/registry.h).
 *
 * Output follows the docker CLI. Progress goes to stderr: on a terminal one live line per
 * layer ("a3ed95caeb02: Downloading [=====>    ]  1.2MB/3.4MB"), redrawn in place; otherwise
 * one plain line each time a layer's status changes; nothing with -q or --progress quiet.
 * stdout gets what a script wants: the pulled reference, or the pushed tag's digest.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "compose/cli.h"
#include "engine/ref.h"
#include "engine/registry.h"
#include "engine/report.h"

#define PASSWORD_MAX 4096

/* ---- progress ---- */

struct row {
        char id[13];
        char status[64];
        char line[192];
};

struct progress {
        bool tty;
        struct row *rows;
        size_t n, cap;
        size_t drawn;    /* rows printed in the live view so far */
        bool downloaded; /* some layer was not in the store yet */
};

static void
bar(const struct reg_progress *p, char *buf, size_t n)
{
        char cur[32], tot[32], fill[51];
        size_t k = p->total ? (size_t)(p->current * 50 / p->total) : 0;

        report_size(p->current, 3, cur, sizeof(cur));
        report_size(p->total, 3, tot, sizeof(tot));
        memset(fill, ' ', 50);
        memset(fill, '=', k > 50 ? 50 : k);
        if (k < 50)
                fill[k] = '>';
        fill[50] = '\0';
        snprintf(buf, n, "%s: %s [%s] %9s/%s", p->id, p->status, fill, cur, tot);
}

static struct row *
row_of(struct progress *pr, const char *id)
{
        for (size_t i = 0; i < pr->n; i++)
                if (!strcmp(pr->rows[i].id, id))
                        return &pr->rows[i];
        GROW(pr->rows, pr->cap, pr->n + 1);
        pr->rows[pr->n] = (struct row){ 0 };
        snprintf(pr->rows[pr->n].id, sizeof(pr->rows[0].id), "%s", id);
        return &pr->rows[pr->n++];
}

static void
redraw(struct progress *pr)
{
        if (pr->drawn)
                fprintf(stderr, "\033[%zuA", pr->drawn);
        for (size_t i = 0; i < pr->n; i++)
                fprintf(stderr, "\r\033[K%s\n", pr->rows[i].line);
        pr->drawn = pr->n;
        fflush(stderr);
}

static void
on_progress(void *ctx, const struct reg_progress *p)
{
        struct progress *pr = ctx;
        struct row *r = row_of(pr, p->id);
        bool changed = strcmp(r->status, p->status) != 0;

        snprintf(r->status, sizeof(r->status), "%s", p->status);
        pr->downloaded |= !strcmp(p->status, "Downloading");
        if (pr->tty && (!strcmp(p->status, "Downloading") || !strcmp(p->status, "Pushing")) &&
            p->total)
                bar(p, r->line, sizeof(r->line));
        else
                snprintf(r->line, sizeof(r->line), "%s: %s", p->id, p->status);
        if (pr->tty)
                redraw(pr);
        else if (changed)
                fprintf(stderr, "%s\n", r->line);
}

/* progress_setup: -q or --progress quiet: none (returns true); tty: live; else plain lines. */
static bool
progress_setup(const struct cli_globals *g, bool quiet, struct progress *pr, struct reg_opts *o)
{
        const char *mode = g->progress ? g->progress : "auto";

        *pr = (struct progress){ 0 };
        if (quiet || !strcmp(mode, "quiet"))
                return true;
        pr->tty = !strcmp(mode, "tty") || (!strcmp(mode, "auto") && isatty(STDERR_FILENO));
        o->progress = on_progress;
        o->progress_ctx = pr;
        return false;
}

/* ---- image pull / push ---- */

static int
usage_err(const char *cmd, const char *what, struct err *err)
{
        return err_setf(err, -EINVAL, "\"berth %s\" requires %s; see 'berth %s --help'", cmd, what,
                        cmd);
}

static void
pull_banner(const char *ref)
{
        struct ref r;

        if (ref_parse(ref, &r, NULL) < 0)
                return;
        if (!strchr(ref, ':') && !strchr(ref, '@'))
                fprintf(stderr, "Using default tag: latest\n");
        fprintf(stderr, "%s: Pulling from %s\n", r.digest ? r.digest : r.tag, r.path);
        ref_release(&r);
}

/* pull_result: docker's closing lines on stderr; the full reference on stdout (alone with -q;
 * not for run, whose stdout is the container's) */
static void
pull_result(const char *ref, const char *digest, bool quiet, bool downloaded, bool print_ref)
{
        struct ref r;

        if (ref_parse(ref, &r, NULL) < 0)
                return;
        cleanup_free char *full = ref_string(&r);
        cleanup_free char *fam = ref_familiar(&r);

        if (!quiet)
                fprintf(stderr, "Digest: %s\nStatus: %s for %s\n", digest,
                        downloaded ? "Downloaded newer image" : "Image is up to date", fam);
        if (print_ref)
                printf("%s\n", full);
        ref_release(&r);
}

/* pull_one: pull ref with docker's progress on stderr (none when quiet) */
static int
pull_one(struct cli_globals *g, struct reg_opts *o, const char *ref, bool quiet, bool print_ref,
         struct err *err)
{
        cleanup_free char *digest = NULL;
        struct progress pr;
        int r;

        quiet = progress_setup(g, quiet, &pr, o);
        if (!quiet)
                pull_banner(ref);
        r = reg_pull_full(o, ref, NULL, &digest, err);
        free(pr.rows);
        if (r == 0)
                pull_result(ref, digest, quiet, pr.downloaded, print_ref);
        return r;
}

int
cmd_image_pull(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "platform", required_argument, NULL, 'P' },
                { "all-tags", no_argument, NULL, 'a' },
                { 0 },
        };
        struct reg_opts o = { .root = g->root,
                              .log = &g->log,
                              .platform = getenv("DOCKER_DEFAULT_PLATFORM") };
        bool quiet = false;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+qa", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'P')
                        o.platform = optarg;
                else if (c == 'a')
                        return err_setf(err, -ENOTSUP, "pull --all-tags is not supported");
                else
                        return usage_err("image pull", "valid flags", err);
        }
        if (argc - optind != 1)
                return usage_err("image pull", "exactly 1 argument", err);
        return pull_one(g, &o, argv[optind], quiet, true, err);
}

int
cmd_image_pull_for_run(struct cli_globals *g, const char *ref, const char *platform,
                       struct err *err)
{
        struct reg_opts o = { .root = g->root,
                              .log = &g->log,
                              .platform = platform ? platform : getenv("DOCKER_DEFAULT_PLATFORM") };

        return pull_one(g, &o, ref, false, false, err);
}

/* chunk_size: BERTH_PUSH_CHUNK_SIZE (bytes; for proxies that limit request bodies). */
static int
chunk_size(uint64_t *ret, struct err *err)
{
        const char *v = getenv("BERTH_PUSH_CHUNK_SIZE");
        char *end;
        unsigned long long n;

        *ret = 0;
        if (!v || !*v)
                return 0;
        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno || *end || n < 4096 || v[0] == '-')
                return err_setf(err, -EINVAL,
                                "BERTH_PUSH_CHUNK_SIZE='%s': want a number of bytes >= 4096", v);
        *ret = n;
        return 0;
}

int
cmd_image_push(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "all-tags", no_argument, NULL, 'a' },
                { "disable-content-trust", no_argument, NULL, 'D' },
                { 0 },
        };
        struct reg_opts o = { .root = g->root, .log = &g->log };
        cleanup_free char *digest = NULL;
        struct progress pr;
        struct ref rf;
        uint64_t size = 0;
        bool quiet = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+qa", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'a')
                        return err_setf(err, -ENOTSUP, "push --all-tags is not supported");
                else if (c != 'D')
                        return usage_err("image push", "valid flags", err);
        }
        if (argc - optind != 1)
                return usage_err("image push", "exactly 1 argument", err);
        r = chunk_size(&o.chunk_size, err);
        if (r == 0)
                r = ref_parse(argv[optind], &rf, err);
        if (r < 0)
                return r;
        cleanup_free char *repo = ref_familiar_repo(&rf);
        cleanup_free char *tag = xstrdup(rf.tag ? rf.tag : rf.digest);

        ref_release(&rf);
        quiet = progress_setup(g, quiet, &pr, &o);
        if (!quiet)
                fprintf(stderr, "The push refers to repository [%s]\n", repo);
        r = reg_push(&o, argv[optind], &digest, &size, err);
        free(pr.rows);
        if (r == 0)
                printf("%s: digest: %s size: %ju\n", tag, digest, (uintmax_t)size);
        return r;
}

/* ---- login / logout ---- */

/* read_line: one line from f without its newline, at most PASSWORD_MAX bytes. */
static int
read_line(FILE *f, const char *what, char **ret, struct err *err)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, f);

        if (n < 0) {
                free(line);
                return err_setf(err, -EINVAL, "login: no %s given", what);
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        if ((size_t)n > PASSWORD_MAX) {
                free(line);
                return err_setf(err, -EINVAL, "login: %s longer than %d bytes", what, PASSWORD_MAX);
        }
        *ret = line;
        return 0;
}

/* prompt: ask on the terminal (without echo for a password). */
static int
prompt(const char *label, bool secret, char **ret, struct err *err)
{
        struct termios old, quiet;
        bool restore = false;
        int r;

        if (!isatty(STDIN_FILENO))
                return err_setf(err, -EINVAL,
                                "cannot perform an interactive login from a non TTY device");
        fprintf(stderr, "%s: ", label);
        fflush(stderr);
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t)ECHO;
                restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
        r = read_line(stdin, label, ret, err);
        if (restore) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
                fprintf(stderr, "\n");
        }
        return r;
}

struct login_args {
        const char *user, *pass, *server;
        bool pass_stdin;
};

static int
parse_login(int argc, char **argv, struct login_args *a, struct err *err)
{
        static const struct option opts[] = {
                { "username", required_argument, NULL, 'u' },
                { "password", required_argument, NULL, 'p' },
                { "password-stdin", no_argument, NULL, 'S' },
                { 0 },
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+u:p:", opts, NULL)) != -1) {
                if (c == 'u')
                        a->user = optarg;
                else if (c == 'p')
                        a->pass = optarg;
                else if (c == 'S')
                        a->pass_stdin = true;
                else
                        return usage_err("login", "valid flags", err);
        }
        if (argc - optind > 1)
                return usage_err("login", "at most 1 argument", err);
        a->server = optind < argc ? argv[optind] : NULL;
        if (a->pass && a->pass_stdin)
                return err_setf(err, -EINVAL,
                                "--password and --password-stdin are mutually exclusive");
        if (a->pass_stdin && !a->user)
                return err_setf(err, -EINVAL, "must provide --username with --password-stdin");
        return 0;
}

int
cmd_login(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct login_args a = { 0 };
        struct reg_opts o = { .root = g->root, .log = &g->log };
        cleanup_free char *user = NULL, *pass = NULL;
        int r = parse_login(argc, argv, &a, err);

        if (r < 0)
                return r;
        if (a.pass)
                fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
                                "--password-stdin.\n");
        user = a.user ? xstrdup(a.user) : NULL;
        pass = a.pass ? xstrdup(a.pass) : NULL;
        if (!user)
                r = prompt("Username", false, &user, err);
        if (r == 0 && !pass)
                r = a.pass_stdin ? read_line(stdin, "password", &pass, err)
                                 : prompt("Password", true, &pass, err);
        if (r == 0)
                r = reg_login(&o, a.server, user, pass, err);
        if (r == 0)
                printf("Login Succeeded\n");
        return r;
}

int
cmd_logout(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct reg_opts o = { .root = g->root, .log = &g->log };
        cleanup_free char *key = NULL;
        int r;

        if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
                return usage_err("logout", "at most 1 argument", err);
        key = reg_config_key(argc == 2 ? argv[1] : NULL);
        r = reg_logout(&o, argc == 2 ? argv[1] : NULL, err);
        if (r == -ENOENT) {
                err_clear(err);
                printf("Not logged in to %s\n", key);
                return 0;
        }
        if (r == 0)
                printf("Removing login credentials for %s\n", key);
        return r;
}
