/* build_layer: the scratch directories of a build and how a step's upper dir becomes a layer.
 *
 * Upper and work dirs live in <root>/layers/.build-<unique>/ so that an upper dir is on the
 * layer store's filesystem: once layer_diff has written it as the layer's tar blob (sorted,
 * overlay whiteouts turned into .wh. entries, mtimes clamped to SOURCE_DATE_EPOCH), the dir
 * itself is renamed into the store as the unpacked layer (store_layer_adopt). A crashed
 * build's dot-dir is removed by the next garbage collection.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/jsonx.h"
#include "engine/layer.h"

int
build_rm(const char *path, struct err *err)
{
        cleanup_free char *dir = path_dirname(path), *base = path_basename(path);
        cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return errno == ENOENT ? 0 : err_setf(err, -errno, "open '%s': %s", dir, strerror(errno));
        return layer_remove_tree(fd, base, err);
}

int
build_stage_dirs(struct build *b, char **ret_upper, char **ret_work, struct err *err)
{
        unsigned n = b->seq++;
        cleanup_free char *upper = xasprintf("%s/u%u", b->tmp, n);
        cleanup_free char *work = xasprintf("%s/w%u", b->tmp, n);

        if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
                return err_setf(err, -errno, "create '%s': %s", upper, strerror(errno));
        *ret_upper = TAKE_PTR(upper);
        *ret_work = TAKE_PTR(work);
        return 0;
}

static int
dir_is_empty(int fd)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;
        int empty = 1;

        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                return 0;
        }
        while (empty && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        empty = 0;
        closedir(d);
        return empty;
}

static int
write_blob(struct build *b, int fd, struct layer_stats *st, struct err *err)
{
        struct store_writer *w = NULL;
        struct layer_diff_opts o = { .epoch = b->epoch };
        char digest[DIGEST_STR_SIZE];
        int r = store_writer_new(b->s, &w, err);

        if (r == 0)
                r = layer_diff(fd, store_writer_sink, w, &o, st, err);
        if (r == 0)
                r = store_writer_commit(w, NULL, digest, NULL, NULL, err);
        store_writer_free(w);
        if (r == 0 && strcmp(digest, st->diff_id) != 0)
                r = err_setf(err, -EBADMSG, "layer blob %s is not its diff ID %s", digest,
                             st->diff_id);
        return r;
}

int
build_commit_upper(struct build *b, const char *upper, struct build_img *im, struct err *err)
{
        cleanup_close int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct layer_stats st = { 0 };
        struct store_layer l;
        struct build_layer *bl;
        int r;

        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", upper, strerror(errno));
        if (dir_is_empty(fd))
                return build_rm(upper, err);
        r = write_blob(b, fd, &st, err);
        if (r == 0)
                r = store_layer_adopt(b->s, im->n ? im->layers[im->n - 1].chain : NULL, upper,
                                      &st, &l, err);
        if (r < 0)
                return r;
        im->layers = xreallocarray(im->layers, im->n + 1, sizeof(*im->layers));
        bl = &im->layers[im->n++];
        *bl = (struct build_layer){ .size = (int64_t)st.tar_bytes };
        memcpy(bl->diff_id, st.diff_id, DIGEST_STR_SIZE);
        memcpy(bl->blob, st.diff_id, DIGEST_STR_SIZE);
        memcpy(bl->chain, l.chain_id, DIGEST_STR_SIZE);
        snprintf(bl->media, sizeof(bl->media), "%s", MEDIA_OCI_LAYER);
        return 1;
}

/* canon_words: the canonical step text (a JSON array) without its instruction name */
static char **
canon_words(const char *canon)
{
        json_object *a = json_tokener_parse(canon);
        char **v = NULL;
        size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

        for (size_t i = 1; i < n; i++)
                strv_add(&v, json_object_get_string(json_object_array_get_idx(a, i)));
        if (a)
                json_object_put(a);
        return v;
}

/* quoted: Go's %q of a string list, as docker prints CMD ["a" "b"] */
static void
add_quoted(struct sbuf *sb, char *const *v)
{
        sbuf_addch(sb, '[');
        for (size_t i = 0; v && v[i]; i++) {
                json_object *s = json_object_new_string(v[i]);

                sbuf_adds(sb, i ? " " : "");
                sbuf_adds(sb, json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(s);
        }
        sbuf_addch(sb, ']');
}

static void
add_run(struct sbuf *sb, const struct dfstage_step *st)
{
        size_t n = strv_length(st->key_args);
        cleanup_free char *cmd = strv_join(st->argv, " ");

        if (n) {
                cleanup_free char *args = strv_join(st->key_args, " ");

                sbuf_addf(sb, "|%zu %s ", n, args);
        }
        sbuf_adds(sb, cmd);
}

char *
build_created_by(const struct dfstage_step *st, char *const *shell, const char *src,
                 const char *dest)
{
        cleanup_free char *sh = strv_join(shell, " ");
        cleanup_strv char **w = canon_words(st->canon);
        cleanup_free char *words = strv_join(w, " ");
        const char *name = dockerfile_cmd_name(st->cmd);
        struct sbuf sb = SBUF_INIT;

        if (st->cmd == DF_RUN) {
                add_run(&sb, st);
                return sbuf_detach(&sb);
        }
        sbuf_addf(&sb, "%s #(nop) ", sh);
        if ((st->cmd == DF_COPY || st->cmd == DF_ADD) && src) {
                /* docker writes "--chown=<value>" glued to the hash, without a space */
                cleanup_free char *chown = st->chown && *st->chown ? xasprintf("--chown=%s", st->chown)
                                                                   : xstrdup("");

                sbuf_addf(&sb, "%s %s%s in %s ", name, chown, src, dest ? dest : st->dest);
        } else if (st->cmd == DF_COPY || st->cmd == DF_ADD) {
                cleanup_free char *srcs = strv_join(st->srcs, " ");

                sbuf_addf(&sb, "%s %s in %s ", name, srcs ? srcs : "", st->dest);
        } else if (st->cmd == DF_WORKDIR)
                sbuf_addf(&sb, "WORKDIR %s", w && w[0] ? w[0] : "");
        else if (st->cmd == DF_CMD || st->cmd == DF_ENTRYPOINT) {
                sbuf_addf(&sb, " %s ", name);
                add_quoted(&sb, w);
        } else if (st->cmd == DF_SHELL || st->cmd == DF_VOLUME)
                sbuf_addf(&sb, " %s [%s]", name, words ? words : "");
        else
                sbuf_addf(&sb, " %s %s", name, words ? words : "");
        return sbuf_detach(&sb);
}
