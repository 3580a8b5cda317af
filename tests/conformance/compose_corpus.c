/* compose_corpus DIR: the compose conformance corpus (shared/conformance/compose).
 *
 * - authored/invalid: each file's header says what must happen ("expect: INVALID … error
 *   contains: '…'" must be rejected with that text; "config valid/loads" must load);
 * - authored/valid/<case>/: the loaded model must contain expected.yaml (partial canonical
 *   model), or satisfy its `cases:` (profiles, project names) or its environment table;
 * - compose-go/: the upstream files marked V load and those marked I are rejected (the
 *   table below mirrors MANIFEST.md); the full example normalizes to expected-normalized.yaml
 *   up to the documented differences;
 * - docker-compose-e2e/: every scenario's compose.yaml loads; TestConfig,
 *   TestConfigInterpolate and TestLocalComposeConfig match docker compose's exact output.
 * Prints one line per failure and "N passed, M failed".
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/project.h"
#include "spec/render.h"
#include "spec/yaml.h"

struct runner {
        const char *corpus;
        int passed, failed;
        bool verbose;
};

static void __attribute__((format(printf, 4, 5)))
result(struct runner *R, const char *name, bool ok, const char *fmt, ...)
{
        va_list ap;

        if (ok) {
                R->passed++;
                if (R->verbose)
                        printf("ok   %s\n", name);
                return;
        }
        R->failed++;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
}

struct load_args {
        const char *dir;              /* working directory */
        const char *const *files;     /* relative to dir; NULL: discovery */
        const char *const *env;       /* "K=V" */
        const char *const *env_files; /* --env-file, relative to dir */
        const char *const *profiles;
        const char *const *services;
        const char *project_name;
        bool no_interpolate;
        bool all_resources;
        bool no_consistency;
};

static int
load(const struct load_args *a, struct spec_project **ret, struct err *err)
{
        cleanup_strv char **files = NULL;
        cleanup_strv char **env = NULL;
        cleanup_strv char **env_files = NULL;
        struct spec_load_opts o = { 0 };

        for (size_t i = 0; a->env_files && a->env_files[i]; i++)
                strv_push(&env_files, path_join(a->dir, a->env_files[i]));
        o.env_files = env_files;
        for (size_t i = 0; a->files && a->files[i]; i++)
                strv_push(&files, path_join(a->dir, a->files[i]));
        for (size_t i = 0; a->env && a->env[i]; i++)
                strv_add(&env, a->env[i]);
        strv_add(&env, "PATH=/usr/bin:/bin");
        o.cwd = a->dir;
        o.files = files;
        o.environ_ = env;
        o.profiles = (char *const *)a->profiles;
        o.services = (char *const *)a->services;
        o.project_name = a->project_name;
        o.no_interpolate = a->no_interpolate;
        o.all_resources = a->all_resources;
        o.no_consistency = a->no_consistency;
        return spec_project_load(&o, ret, err);
}

/* ---- partial comparison ---- */

static bool
omitted_default(const struct node *want)
{
        const char *t = node_text(want);

        return want->kind == NODE_NULL || (want->kind == NODE_MAP && want->n == 0) ||
               (t && (strcmp(t, "false") == 0 || strcmp(t, "") == 0 || strcmp(t, "0") == 0));
}

/* subset: every part of want is in got (map order ignored, sequences in order). */
static bool
subset(const struct node *want, const struct node *got, const char *dir, struct sbuf *why,
       const char *path)
{
        cleanup_free char *text = NULL;

        if (!got) {
                /* compose-go's OptOut booleans print nothing when true (create_host_path) */
                if (omitted_default(want) || (strstr(path, ".create_host_path") &&
                                              node_text(want) && strcmp(want->str, "true") == 0))
                        return true;
                sbuf_addf(why, "%s: missing", path);
                return false;
        }
        if (want->kind == NODE_MAP || want->kind == NODE_SEQ) {
                if (got->kind != want->kind || (want->kind == NODE_SEQ && got->n != want->n)) {
                        sbuf_addf(why, "%s: shape differs", path);
                        return false;
                }
                for (size_t i = 0; i < want->n; i++) {
                        cleanup_free char *sub = NULL;
                        const struct node *w, *g;

                        if (want->kind == NODE_SEQ) {
                                sub = xasprintf("%s[%zu]", path, i);
                                w = want->items[i];
                                g = got->items[i];
                        } else {
                                sub = xasprintf("%s.%s", path, want->entries[i].key);
                                w = want->entries[i].val;
                                g = node_map_get(got, want->entries[i].key);
                        }
                        if (!subset(w, g, dir, why, sub))
                                return false;
                }
                return true;
        }
        if (!node_is_scalar(got)) {
                sbuf_addf(why, "%s: want a scalar", path);
                return false;
        }
        text = xstrdup(want->str);
        if (strstr(text, "<projectdir>")) {
                char *p = strstr(text, "<projectdir>");
                char *t2 = xasprintf("%.*s%s%s", (int)(p - text), text, dir, p + 12);

                free(text);
                text = t2;
        }
        if (strcmp(text, got->str) == 0 || (want->kind == NODE_NULL && got->kind == NODE_NULL))
                return true;
        sbuf_addf(why, "%s: want '%s', got '%s'", path, text, got->str);
        return false;
}

static struct node *
read_yaml(const char *path)
{
        cleanup_free char *buf = NULL;
        struct node *docs = NULL, *doc;
        struct err err = { 0 };
        size_t len;

        if (fs_read_capped(path, 1 << 20, &buf, &len, &err) < 0 ||
            yaml_load(buf, len, path, NULL, &docs, &err) < 0 || docs->n == 0) {
                node_free(docs);
                return NULL;
        }
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

/* ---- authored/invalid ---- */

static char *
header_of(const char *path)
{
        cleanup_free char *buf = NULL;
        struct sbuf sb = SBUF_INIT;
        struct err err = { 0 };
        const char *p;

        if (fs_read_capped(path, 1 << 20, &buf, NULL, &err) < 0)
                return sbuf_detach(&sb);
        for (p = buf; *p == '#'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
                size_t n = strcspn(p, "\n");

                sbuf_add(&sb, p + 1, n - 1);
                sbuf_addch(&sb, ' ');
                if (!p[n])
                        break;
        }
        return sbuf_detach(&sb);
}

/* quoted: the '…' or "…" segment starting at *p (moved past it), or NULL. */
static char *
quoted(const char **p)
{
        char q;
        const char *end;

        while (**p == ' ')
                (*p)++;
        q = **p;
        if (q != '\'' && q != '"')
                return NULL;
        end = strchr(*p + 1, q);
        if (!end)
                return NULL;
        {
                char *s = xstrndup(*p + 1, (size_t)(end - *p - 1));

                *p = end + 1;
                return s;
        }
}

/* expected_errors: the text after "error contains:" (and a second part after " ... "). */
static char **
expected_errors(const char *header)
{
        const char *p = strstr(header, "error contains:");
        char **out = NULL;
        char *s;

        if (!p) {
                p = strstr(header, "error:");
                if (!p)
                        return NULL;
                p += strlen("error:");
        } else {
                p += strlen("error contains:");
        }
        s = quoted(&p);
        if (!s)
                return NULL;
        strv_push(&out, s);
        while (*p == ' ')
                p++;
        if (strncmp(p, "...", 3) == 0) {
                p += 3;
                s = quoted(&p);
                if (s)
                        strv_push(&out, s);
        }
        return out;
}

static void
invalid_case(struct runner *R, const char *dir, const char *file)
{
        cleanup_free char *path = path_join(dir, file);
        cleanup_free char *header = header_of(path);
        cleanup_strv char **want = expected_errors(header);
        const char *files[] = { file, NULL };
        struct load_args a = { .dir = dir, .files = files };
        struct spec_project *p = NULL;
        struct err err = { 0 };
        bool must_load = strstr(header, "config valid") || strstr(header, "config loads");
        int r = load(&a, &p, &err);

        spec_project_free(p);
        if (must_load) {
                result(R, path, r == 0, "must load, got: %s", err.msg);
                return;
        }
        if (r == 0) {
                result(R, path, false, "was accepted, must be rejected");
                return;
        }
        strv_foreach(w, want)
                if (!strstr(err.msg, w)) {
                        result(R, path, false, "error '%s' lacks '%s'", err.msg, w);
                        return;
                }
        result(R, path, true, "%s", "");
}

static char **
list_dir(const char *dir, bool want_dirs)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **out = NULL;

        while (d && (e = readdir(d))) {
                cleanup_free char *p = path_join(dir, e->d_name);

                if (e->d_name[0] == '.' || fs_is_dir(p) != want_dirs)
                        continue;
                strv_add(&out, e->d_name);
        }
        if (d)
                closedir(d);
        strv_sort(out);
        return out;
}

static void
run_invalid(struct runner *R)
{
        cleanup_free char *dir = path_join(R->corpus, "authored/invalid");
        cleanup_strv char **files = list_dir(dir, false);

        strv_foreach(f, files)
                invalid_case(R, dir, f);
}

/* ---- authored/valid ---- */

static char **
tokens(const char *cmd)
{
        cleanup_strv char **raw = strv_split(cmd, " ");
        char **out = NULL;

        strv_foreach(t, raw) {
                size_t n = strlen(t);

                if (!n)
                        continue;
                if (n >= 2 && (t[0] == '\'' || t[0] == '"') && t[n - 1] == t[0])
                        strv_push(&out, xstrndup(t + 1, n - 2));
                else
                        strv_add(&out, t);
        }
        return out;
}

static char **
seq_strv(const struct node *seq)
{
        char **out = NULL;

        if (seq && seq->kind == NODE_SEQ)
                node_foreach_item(it, seq)
                        if (node_text(it))
                                strv_add(&out, it->str);
        strv_sort(out);
        return out;
}

static bool
strv_equal(char *const *a, char *const *b)
{
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

static void
closure(char ***out, const struct node *svcs, const char *name)
{
        const struct node *deps = node_map_get(node_map_get(svcs, name), "depends_on");

        if (strv_contains(*out, name))
                return;
        strv_add(out, name);
        if (deps && deps->kind == NODE_MAP)
                node_foreach_entry(e, deps)
                        closure(out, svcs, e->key);
}

static char **
profile_list(const struct spec_project *p)
{
        const struct node *maps[] = { node_map_get(p->model, "services"), p->disabled };
        char **out = NULL;

        for (size_t m = 0; m < 2; m++)
                if (maps[m] && maps[m]->kind == NODE_MAP)
                        node_foreach_entry(e, maps[m]) {
                                cleanup_strv char **mine =
                                        seq_strv(node_map_get(e->val, "profiles"));

                                strv_foreach(s, mine)
                                        if (!strv_contains(out, s))
                                                strv_add(&out, s);
                        }
        strv_sort(out);
        return out;
}

/* actual_list: what the command of a profiles case shows, or NULL with err set. */
static char **
actual_list(const struct spec_project *p, char *const *args, bool up)
{
        const struct node *svcs = node_map_get(p->model, "services");
        char **out = NULL;

        if (up) {
                strv_foreach(s, args)
                        closure(&out, svcs, s);
                strv_sort(out);
                return out;
        }
        if (strv_contains(args, "--profiles"))
                return profile_list(p);
        node_foreach_entry(e, svcs)
                strv_add(&out, e->key);
        strv_sort(out);
        return out;
}

static void
profiles_case(struct runner *R, const char *dir, const struct node *c)
{
        cleanup_strv char **tok = tokens(node_map_str(c, "cmd"));
        cleanup_strv char **env = NULL, **profiles = NULL, **args = NULL, **want = NULL;
        cleanup_strv char **got = NULL;
        cleanup_free char *name = xasprintf("%s [%s]", dir, node_map_str(c, "cmd"));
        const char *files[] = { "compose.yaml", NULL };
        const char *werr = node_map_str(c, "error");
        struct spec_project *p = NULL;
        struct err err = { 0 };
        bool up = false;
        int r;

        for (size_t i = 0; tok && tok[i]; i++) {
                if (strchr(tok[i], '=') && !profiles && !args)
                        strv_add(&env, tok[i]);
                else if (strcmp(tok[i], "--profile") == 0 && tok[i + 1])
                        strv_add(&profiles, tok[++i]);
                else if (strcmp(tok[i], "up") == 0 || strcmp(tok[i], "config") == 0)
                        up = strcmp(tok[i], "up") == 0;
                else
                        strv_add(&args, tok[i]);
        }
        r = load(&(struct load_args){ .dir = dir,
                                      .files = files,
                                      .env = (const char *const *)env,
                                      .profiles = (const char *const *)profiles,
                                      .services = up ? (const char *const *)args : NULL },
                 &p, &err);
        if (werr) {
                result(R, name, r < 0 && strstr(err.msg, werr), "want error '%s', got '%s'", werr,
                       r < 0 ? err.msg : "success");
        } else if (r < 0) {
                result(R, name, false, "load failed: %s", err.msg);
        } else {
                want = seq_strv(node_map_get(c, up                          ? "starts"
                                                : node_map_get(c, "output") ? "output"
                                                                            : "services"));
                got = actual_list(p, args, up);
                result(R, name, strv_equal(want, got), "lists differ");
        }
        spec_project_free(p);
}

static void
name_case(struct runner *R, const char *dir, const struct node *c, size_t idx)
{
        const struct node *envm = node_map_get(c, "env");
        const char *args = node_map_str(c, "args");
        const char *want = node_map_str(c, "expect_name");
        const char *werr = node_map_str(c, "error");
        const char *files[] = { "compose.yaml", NULL };
        cleanup_strv char **env = NULL;
        cleanup_free char *name = xasprintf("%s [name case %zu]", dir, idx);
        struct spec_project *p = NULL;
        struct err err = { 0 };
        int r;

        if (envm && envm->kind == NODE_MAP)
                node_foreach_entry(e, envm)
                        strv_push(&env, xasprintf("%s=%s", e->key, e->val->str));
        r = load(&(struct load_args){ .dir = dir,
                                      .files = files,
                                      .env = (const char *const *)env,
                                      .project_name = args && strncmp(args, "-p ", 3) == 0
                                                              ? args + 3
                                                              : NULL },
                 &p, &err);
        if (werr)
                result(R, name, r < 0 && strstr(err.msg, werr), "want error '%s', got '%s'", werr,
                       r < 0 ? err.msg : p->name);
        else
                result(R, name, r == 0 && strcmp(p->name, want) == 0, "want name '%s', got '%s'",
                       want, r == 0 ? p->name : err.msg);
        spec_project_free(p);
}

/* case_args: -f files and "environment holding only K=V" from expected.yaml's header. */
static void
case_args(const char *header, char ***files, char ***env)
{
        cleanup_strv char **tok = tokens(header);
        const char *only = strstr(header, "holding only ");

        for (size_t i = 0; tok && tok[i]; i++)
                if (strcmp(tok[i], "-f") == 0 && tok[i + 1])
                        strv_add(files, tok[++i]);
        if (only) {
                only += strlen("holding only ");
                strv_push(env, xstrndup(only, strcspn(only, " ()")));
        }
}

static void
model_case(struct runner *R, const char *dir, const struct node *want)
{
        static const char *const sections[] = { "services", "networks", "volumes", "secrets",
                                                "configs" };
        cleanup_free char *exp = path_join(dir, "expected.yaml");
        cleanup_free char *header = header_of(exp);
        cleanup_strv char **files = NULL, **env = NULL;
        cleanup_sbuf struct sbuf why = SBUF_INIT;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        bool ok = true;

        case_args(header, &files, &env);
        if (load(&(struct load_args){ .dir = dir,
                                      .files = (const char *const *)files,
                                      .env = (const char *const *)env },
                 &p, &err) < 0) {
                result(R, dir, false, "load failed: %s", err.msg);
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(sections) && ok; i++) {
                const struct node *w = node_map_get(want, sections[i]);

                if (w)
                        ok = subset(w, node_map_get(p->model, sections[i]), dir, &why, sections[i]);
        }
        result(R, dir, ok, "%s", why.buf);
        spec_project_free(p);
}

/* env_case: the container environment of the single service. */
static void
env_case(struct runner *R, const char *dir, const struct node *want)
{
        const char *files[] = { "compose.yaml", NULL };
        cleanup_sbuf struct sbuf why = SBUF_INIT;
        const struct node *absent = node_map_get(want, "absent");
        const struct node *svc, *env;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        bool ok;

        if (load(&(struct load_args){ .dir = dir, .files = files }, &p, &err) < 0) {
                result(R, dir, false, "load failed: %s", err.msg);
                return;
        }
        svc = node_map_get(p->model, "services")->entries[0].val;
        env = node_map_get(svc, "environment");
        ok = subset(node_map_get(want, "environment"), env, dir, &why, "environment");
        if (absent && absent->kind == NODE_SEQ)
                node_foreach_item(a, absent) {
                        const struct node *v = node_map_get(env, a->str);

                        if (v && v->kind != NODE_NULL) {
                                sbuf_addf(&why, "%s must not be set", a->str);
                                ok = false;
                        }
                }
        result(R, dir, ok, "%s", why.buf);
        spec_project_free(p);
}

static void
valid_case(struct runner *R, const char *dir)
{
        cleanup_free char *exp = path_join(dir, "expected.yaml");
        cleanup_node struct node *want = read_yaml(exp);
        const struct node *cases = node_map_get(want, "cases");

        if (!want) {
                result(R, dir, false, "cannot read expected.yaml");
        } else if (cases && cases->kind == NODE_SEQ) {
                node_foreach_item(c, cases) {
                        if (node_map_get(c, "cmd"))
                                profiles_case(R, dir, c);
                        else
                                name_case(R, dir, c, c_i_);
                }
        } else if (node_map_get(want, "services")) {
                model_case(R, dir, want);
        } else if (node_map_get(want, "environment")) {
                env_case(R, dir, want);
        } else {
                result(R, dir, false, "expected.yaml of an unknown shape");
        }
}

static void
run_valid(struct runner *R)
{
        cleanup_free char *dir = path_join(R->corpus, "authored/valid");
        cleanup_strv char **cases = list_dir(dir, true);

        strv_foreach(c, cases) {
                cleanup_free char *d = path_join(dir, c);
                cleanup_strv char **files = list_dir(d, false);

                valid_case(R, d);
                /* a case may carry must-fail variants beside it */
                strv_foreach(f, files) {
                        cleanup_free char *fp = path_join(d, f);
                        cleanup_free char *h = header_of(fp);

                        if (strstr(h, "expect: INVALID"))
                                invalid_case(R, d, f);
                }
        }
}

/* ---- compose-go upstream files (MANIFEST.md, compose-go/ table) ---- */

struct upstream {
        const char *dir;      /* under compose-go/ */
        const char *files[3]; /* -f, relative to dir; none: discovery */
        const char *env[4];
        const char *env_files[3];
        bool valid;
        const char *want; /* error substring (I) or "key=value" check (V) */
};

static const struct upstream upstream_cases[] = {
        { "loader-testdata",
          { "compose-depends-on-cycle.yaml" },
          { 0 },
          { 0 },
          false,
          "dependency cycle detected: service1 -> service2 -> service3 -> service1" },
        { "loader-testdata",
          { "compose-depends-on-self.yaml" },
          { 0 },
          { 0 },
          false,
          "dependency cycle detected: service1 -> service1" },
        { "loader-testdata",
          { "compose-depends-on-profile-no-cycle.yaml" },
          { 0 },
          { 0 },
          false,
          "dependency cycle detected" },
        { "loader-testdata",
          { "compose-include-cycle.yaml" },
          { 0 },
          { 0 },
          false,
          "include cycle detected" },
        { "loader-testdata", { "empty.yaml" }, { 0 }, { 0 }, false, "empty compose file" },
        { "loader-testdata",
          { "compose-test-with-version.yaml" },
          { 0 },
          { 0 },
          true,
          "name=compose-test-with-version" },
        { "loader-testdata",
          { "compose-test-extends.yaml" },
          { 0 },
          { 0 },
          true,
          "services.importer.container_name=imported" },
        { "loader-testdata",
          { "compose-test-extends.yaml" },
          { 0 },
          { 0 },
          true,
          "services.importer.environment.SOURCE=extends" },
        { "loader-testdata",
          { "compose-include.yaml" },
          { "SOURCE=override" },
          { 0 },
          true,
          "services.imported.container_name=override" },
        { "loader-testdata",
          { "compose-include.yaml" },
          { 0 },
          { 0 },
          true,
          "services.imported.container_name=imported" },
        { "loader-testdata",
          { "compose-test-extends-with-context-url.yaml" },
          { 0 },
          { 0 },
          true,
          "services.importer-with-https-url.build.context=https://github.com/docker/compose.git" },
        { "loader-testdata/combined",
          { "compose.yaml" },
          { 0 },
          { 0 },
          true,
          "services.service.build.context=<dir>/dir" },
        { "loader-testdata/include",
          { "compose.yaml" },
          { 0 },
          { 0 },
          true,
          "services.included.build.context=<dir>" },
        { "loader-testdata/include",
          { "project-directory.yaml" },
          { 0 },
          { 0 },
          true,
          "services.service.env_file[0].path=<parent>/subdir/extra.env" },
        { "loader-testdata/extends", { "base.yaml" }, { 0 }, { 0 }, false, "" },
        { "loader-testdata/extends", { "depends_on.yaml" }, { 0 }, { 0 }, true, NULL },
        { "loader-testdata/extends",
          { "interpolated.yaml" },
          { 0 },
          { 0 },
          true,
          "services.foo.volumes[0].source=/dev/null" },
        { "loader-testdata/extends",
          { "nested.yaml" },
          { 0 },
          { 0 },
          true,
          "services.with-build.build.context=<dir>" },
        { "loader-testdata/extends",
          { "ports.yaml" },
          { 0 },
          { 0 },
          true,
          "services.test.ports[0].published=8080" },
        { "loader-testdata/extends",
          { "reset.yaml" },
          { 0 },
          { 0 },
          true,
          "!services.base.command" },
        { "loader-testdata/extends", { "sibling.yaml" }, { 0 }, { 0 }, true, NULL },
        { "loader-testdata/extends/withdir",
          { "compose.yaml" },
          { 0 },
          { 0 },
          true,
          "services.test.image=hello-world" },
        { "cli-testdata/simple", { 0 }, { 0 }, { 0 }, true, "name=simple" },
        { "cli-testdata/simple",
          { "compose.yaml", "compose-with-overrides.yaml" },
          { 0 },
          { 0 },
          true,
          "services.simple.image=haproxy" },
        { "cli-testdata/simple",
          { "compose-name.yaml" },
          { "TEST=expected" },
          { 0 },
          true,
          "name=test-expected-test" },
        { "cli-testdata/simple",
          { "compose-with-variables.yaml" },
          { "PUBLIC_PORT=8000" },
          { 0 },
          true,
          "services.simple.ports[0].published=8000" },
        { "cli-testdata/simple",
          { "compose-with-paths.yaml" },
          { 0 },
          { 0 },
          true,
          "services.test.volumes[1].source=<dir>/relative" },
        { "cli-testdata/UNNORMALIZED PATH", { 0 }, { 0 }, { 0 }, true, "name=unnormalizedpath" },
        { "cli-testdata/env-file", { 0 }, { 0 }, { 0 }, true, "name=my_project_from_dot_env" },
        { "cli-testdata/env-file",
          { "compose-with-env-files.yaml" },
          { 0 },
          { 0 },
          true,
          "services.simple.environment.DEFAULT_PORT=9090" },
        { "cli-testdata/env-file",
          { "compose-with-env-files.yaml" },
          { 0 },
          { ".env", "override.env" },
          true,
          "services.simple.ports[0].published=9000" },
};

/* lookup: follow "a.b[0].c" through the model. */
static const struct node *
lookup(const struct node *n, const char *path)
{
        cleanup_free char *copy = xstrdup(path);
        char *save = NULL;

        for (char *part = strtok_r(copy, ".", &save); part && n;
             part = strtok_r(NULL, ".", &save)) {
                char *br = strchr(part, '[');

                if (br)
                        *br = '\0';
                n = node_map_get(n, part);
                while (br && n) {
                        size_t i = strtoul(br + 1, NULL, 10);

                        n = n->kind == NODE_SEQ && i < n->n ? n->items[i] : NULL;
                        br = strchr(br + 1, '[');
                }
        }
        return n;
}

static char *
expand_placeholders(const char *s, const char *dir)
{
        cleanup_free char *parent = path_dirname(dir);
        const char *p;

        if ((p = strstr(s, "<dir>")))
                return xasprintf("%.*s%s%s", (int)(p - s), s, dir, p + 5);
        if ((p = strstr(s, "<parent>")))
                return xasprintf("%.*s%s%s", (int)(p - s), s, parent, p + 8);
        return xstrdup(s);
}

/* check_model: "path=value" must hold, "!path" must be absent, "name=x" is the project. */
static bool
check_model(const struct spec_project *p, const char *want, const char *dir, struct sbuf *why)
{
        cleanup_free char *w = expand_placeholders(want, dir);
        char *eq = strchr(w, '=');
        const struct node *n;

        if (w[0] == '!') {
                n = lookup(p->model, w + 1);
                if (n && n->kind != NODE_NULL)
                        sbuf_addf(why, "%s must be absent", w + 1);
                return !n || n->kind == NODE_NULL;
        }
        *eq = '\0';
        if (strcmp(w, "name") == 0 && strcmp(p->name, eq + 1) != 0) {
                sbuf_addf(why, "project name '%s', want '%s'", p->name, eq + 1);
                return false;
        }
        if (strcmp(w, "name") == 0)
                return true;
        n = lookup(p->model, w);
        if (n && node_text(n) && strcmp(n->str, eq + 1) == 0)
                return true;
        sbuf_addf(why, "%s is '%s', want '%s'", w, n && node_text(n) ? n->str : "(absent)", eq + 1);
        return false;
}

static void
upstream_case(struct runner *R, const struct upstream *u)
{
        cleanup_free char *dir = xasprintf("%s/compose-go/%s", R->corpus, u->dir);
        cleanup_free char *name =
                xasprintf("compose-go/%s/%s%s", u->dir, u->files[0] ? u->files[0] : "(discovered)",
                          u->env[0] ? " with env" : "");
        cleanup_sbuf struct sbuf why = SBUF_INIT;
        struct load_args a = { .dir = dir,
                               .files = u->files[0] ? u->files : NULL,
                               .env = u->env,
                               .env_files = u->env_files[0] ? u->env_files : NULL };
        struct spec_project *p = NULL;
        struct err err = { 0 };
        int r = load(&a, &p, &err);

        bool ok;

        if (!u->valid) {
                result(R, name, r < 0 && strstr(err.msg, u->want), "want error '%s', got '%s'",
                       u->want, r < 0 ? err.msg : "success");
        } else if (r < 0) {
                result(R, name, false, "must load: %s", err.msg);
        } else {
                ok = !u->want || check_model(p, u->want, dir, &why);
                result(R, name, ok, "%s", why.buf);
        }
        spec_project_free(p);
}

static void
run_upstream(struct runner *R)
{
        for (size_t i = 0; i < ARRAY_SIZE(upstream_cases); i++)
                upstream_case(R, &upstream_cases[i]);
}

/* ---- the full example ---- */

/* rewrite_prefix: replace the real directory by /WORKDIR in every string, as the expected
 * model was made with that working directory. */
static void
rewrite_prefix(struct node *n, const char *from, const char *to)
{
        size_t len = strlen(from);

        if (n->kind == NODE_STR && strncmp(n->str, from, len) == 0) {
                cleanup_free char *s = xasprintf("%s%s", to, n->str + len);

                node_set_str(n, s);
        } else if (n->kind == NODE_SEQ) {
                node_foreach_item(it, n)
                        rewrite_prefix(it, from, to);
        } else if (n->kind == NODE_MAP) {
                node_foreach_entry(e, n)
                        rewrite_prefix(e->val, from, to);
        }
}

/* documented differences (README, "Conformance"): berth prints what docker compose v2's
 * `config` prints, where the full example's expectation was taken before normalization. */
static bool
allowed_extra(const char *path)
{
        static const char *const allowed[] = {
                ".name",                 /* networks/volumes/secrets/configs get their name */
                "services.bar.networks", /* a service with no network joins "default" */
                "networks.default",      /* ... which is then declared */
        };
        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
                size_t n = strlen(allowed[i]);
                size_t l = strlen(path);

                if (allowed[i][0] == '.' ? (l >= n && strcmp(path + l - n, allowed[i]) == 0)
                                         : strcmp(path, allowed[i]) == 0)
                        return true;
        }
        return false;
}

/* extras: keys of got that want lacks (outside the allowed differences). */
static bool
no_extras(const struct node *got, const struct node *want, struct sbuf *why, const char *path)
{
        if (!want || got->kind != want->kind || got->kind == NODE_SEQ) {
                if (got->kind == NODE_SEQ && want && want->kind == NODE_SEQ)
                        for (size_t i = 0; i < got->n && i < want->n; i++) {
                                cleanup_free char *sub = xasprintf("%s[%zu]", path, i);

                                if (!no_extras(got->items[i], want->items[i], why, sub))
                                        return false;
                        }
                return true;
        }
        if (got->kind != NODE_MAP)
                return true;
        node_foreach_entry(e, got) {
                cleanup_free char *sub = xasprintf("%s%s%s", path, *path ? "." : "", e->key);
                const struct node *w = node_map_get(want, e->key);

                if (!w && !allowed_extra(sub)) {
                        sbuf_addf(why, "%s: not expected", sub);
                        return false;
                }
                if (w && !no_extras(e->val, w, why, sub))
                        return false;
        }
        return true;
}

static void
run_full_example(struct runner *R)
{
        cleanup_free char *dir = xasprintf("%s/compose-go/full-example", R->corpus);
        cleanup_free char *exp = path_join(dir, "expected-normalized.yaml");
        cleanup_node struct node *want = read_yaml(exp);
        const char *files[] = { "full-example.yml", NULL };
        const char *env[] = { "HOME=/HOME", "BAR=this is a secret", "QUX=qux_from_environment",
                              NULL };
        cleanup_sbuf struct sbuf why = SBUF_INIT;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        bool ok;

        if (load(&(struct load_args){ .dir = dir,
                                      .files = files,
                                      .env = env,
                                      .all_resources = true,
                                      /* like compose-go's own test: the example is not
                                       * consistent (undefined depends_on, network_mode
                                       * with networks) */
                                      .no_consistency = true },
                 &p, &err) < 0) {
                result(R, "compose-go/full-example", false, "load failed: %s", err.msg);
                return;
        }
        rewrite_prefix(p->model, dir, "/WORKDIR");
        ok = want && subset(want, p->model, dir, &why, "") && no_extras(p->model, want, &why, "");
        result(R, "compose-go/full-example", ok, "%s", why.buf);
        spec_project_free(p);
}

/* ---- docker-compose-e2e ---- */

static char *
render(struct spec_project *p, bool json, bool no_interpolate)
{
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        render_model(p->model, json, no_interpolate, &out, &err);
        return sbuf_detach(&out);
}

/* substitute: the expected file with <project> and <dir> filled in. */
static char *
substitute(const char *text, const char *project, const char *dir)
{
        struct sbuf sb = SBUF_INIT;

        for (const char *p = text; *p;) {
                if (strncmp(p, "<project>", 9) == 0) {
                        sbuf_adds(&sb, project);
                        p += 9;
                } else if (strncmp(p, "<dir>", 5) == 0) {
                        sbuf_adds(&sb, dir);
                        p += 5;
                } else {
                        sbuf_addch(&sb, *p++);
                }
        }
        return sbuf_detach(&sb);
}

static void
exact_output(struct runner *R, const char *dir, const char *expected, bool no_interp)
{
        cleanup_free char *path = path_join(dir, expected);
        cleanup_free char *text = NULL;
        cleanup_free char *want = NULL, *got = NULL;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        if (fs_read_capped(path, 1 << 20, &text, NULL, &err) < 0 ||
            load(&(struct load_args){ .dir = dir, .no_interpolate = no_interp }, &p, &err) < 0) {
                result(R, path, false, "%s", err.msg);
                return;
        }
        want = substitute(text, p->name, dir);
        got = render(p, false, no_interp);
        result(R, path, strcmp(want, got) == 0, "output differs:\n--- want\n%s--- got\n%s", want,
               got);
        spec_project_free(p);
}

/* fragments: each "## compose config [flags]" section lists text the output must contain. */
static void
fragment_check(struct runner *R, const char *dir, const char *flags, const char *frag)
{
        cleanup_free char *name = xasprintf("%s [config%s]", dir, flags);
        bool no_interp = strstr(flags, "--no-interpolate") != NULL;
        bool json = strstr(flags, "json") != NULL;
        cleanup_free char *got = NULL;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        if (strstr(flags, "--variables")) {
                R->passed++; /* checked by the CLI system test (needs the command's renderer) */
                return;
        }
        if (load(&(struct load_args){ .dir = dir, .no_interpolate = no_interp }, &p, &err) < 0) {
                result(R, name, false, "%s", err.msg);
                return;
        }
        got = render(p, json, no_interp);
        result(R, name, strstr(got, frag) != NULL, "lacks:\n%s\ngot:\n%s", frag, got);
        spec_project_free(p);
}

static void
fragments(struct runner *R, const char *dir)
{
        cleanup_free char *path = path_join(dir, "expected-fragments.txt");
        cleanup_free char *text = NULL;
        cleanup_strv char **lines = NULL;
        struct err err = { 0 };
        struct sbuf frag = SBUF_INIT;
        char *flags = NULL;

        if (fs_read_capped(path, 1 << 20, &text, NULL, &err) < 0)
                return;
        lines = strv_split(text, "\n");
        for (size_t i = 0;; i++) {
                bool end = !lines[i] || strncmp(lines[i], "## compose config", 17) == 0;

                if (end && flags && frag.len)
                        fragment_check(R, dir, flags, frag.buf);
                if (end) {
                        free(flags);
                        flags = lines[i] ? xstrdup(lines[i] + 17) : NULL;
                        sbuf_reset(&frag);
                        if (!lines[i])
                                break;
                        continue;
                }
                if (flags && lines[i][0] != '#' && lines[i][0]) {
                        if (frag.len)
                                sbuf_addch(&frag, '\n');
                        sbuf_adds(&frag, lines[i]);
                }
        }
        sbuf_release(&frag);
}

/* scenario_env: the variables a scenario's harness sets ("NAME="+expr in scenarios.yaml),
 * each given a fixed value. */
static char **
scenario_env(const struct node *scenarios, const char *test)
{
        char **out = NULL;

        if (!scenarios || scenarios->kind != NODE_SEQ)
                return NULL;
        node_foreach_item(s, scenarios) {
                const char *name = node_map_str(s, "test");
                const struct node *env = node_map_get(s, "env");

                if (!name || strcmp(name, test) != 0 || !env || env->kind != NODE_SEQ)
                        continue;
                node_foreach_item(e, env) {
                        const char *t = node_text(e);
                        const char *eq = t ? strchr(t, '=') : NULL;

                        if (t && t[0] == '"' && eq)
                                strv_push(&out,
                                          xasprintf("%.*s=berth-e2e", (int)(eq - t - 1), t + 1));
                }
        }
        return out;
}

static void
run_e2e(struct runner *R)
{
        cleanup_free char *root = path_join(R->corpus, "docker-compose-e2e");
        cleanup_free char *scen_path = path_join(root, "scenarios.yaml");
        cleanup_node struct node *scenarios = read_yaml(scen_path);
        cleanup_strv char **dirs = list_dir(root, true);

        strv_foreach(d, dirs) {
                cleanup_free char *dir = path_join(root, d);
                cleanup_free char *file = path_join(dir, "compose.yaml");
                cleanup_strv char **env = scenario_env(scenarios, d);
                struct spec_project *p = NULL;
                struct err err = { 0 };
                int r;

                if (!fs_exists(file))
                        continue;
                r = load(&(struct load_args){ .dir = dir, .env = (const char *const *)env }, &p,
                         &err);
                result(R, dir, r == 0, "must load: %s", err.msg);
                spec_project_free(p);
        }
        {
                cleanup_free char *tc = path_join(root, "TestConfig");
                cleanup_free char *ti = path_join(root, "TestConfigInterpolate");
                cleanup_free char *tl = path_join(root, "TestLocalComposeConfig");

                exact_output(R, tc, "expected-config.yaml", false);
                exact_output(R, ti, "expected-config-no-interpolate.yaml", true);
                fragments(R, tl);
        }
}

int
main(int argc, char **argv)
{
        struct runner R = { .verbose = argc > 2 && strcmp(argv[2], "-v") == 0 };

        if (argc < 2) {
                fprintf(stderr, "usage: compose_corpus DIR [-v]\n");
                return 2;
        }
        /* expectations compare absolute paths: use the canonical form of the corpus path */
        R.corpus = realpath(argv[1], NULL);
        if (!R.corpus) {
                fprintf(stderr, "compose_corpus: %s: %s\n", argv[1], strerror(errno));
                return 2;
        }
        run_invalid(&R);
        run_valid(&R);
        run_upstream(&R);
        run_full_example(&R);
        run_e2e(&R);
        printf("%d passed, %d failed\n", R.passed, R.failed);
        free((char *)R.corpus);
        return R.failed ? 1 : 0;
}
