/* dfstage_config: the image config that Dockerfile instructions produce, and its JSON form:
 * the "config" object of the docker/OCI image config (keys Cmd, Entrypoint, Env, WorkingDir,
 * User, ExposedPorts, Volumes, Labels, Healthcheck, StopSignal, Shell, OnBuild; docker's
 * Healthcheck durations are nanoseconds and zero ones are omitted). */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "dfstage.h"

void
dfstage_config_init(struct dfstage_config *c)
{
        memset(c, 0, sizeof(*c));
        env_init(&c->labels);
}

static void
health_free(struct dfstage_health *h)
{
        if (!h)
                return;
        strv_free(h->test);
        free(h);
}

void
dfstage_config_release(struct dfstage_config *c)
{
        strv_free(c->env);
        strv_free(c->cmd);
        strv_free(c->entrypoint);
        free(c->workdir);
        free(c->user);
        strv_free(c->exposed);
        strv_free(c->volumes);
        env_release(&c->labels);
        health_free(c->health);
        free(c->stopsignal);
        strv_free(c->shell);
        strv_free(c->onbuild);
        free(c->author);
        dfstage_config_init(c);
}

/* copy keeping the difference between NULL (null) and an empty list ([]) */
static char **
list_copy(char *const *v)
{
        char **out;

        if (!v)
                return NULL;
        out = strv_copy(v);
        return out ? out : xcalloc(1, sizeof(char *));
}

static char *
str_copy(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

void
dfstage_config_copy(struct dfstage_config *dst, const struct dfstage_config *src)
{
        dfstage_config_init(dst);
        dst->env = list_copy(src->env);
        dst->cmd = list_copy(src->cmd);
        dst->entrypoint = list_copy(src->entrypoint);
        dst->workdir = str_copy(src->workdir);
        dst->user = str_copy(src->user);
        dst->exposed = list_copy(src->exposed);
        dst->volumes = list_copy(src->volumes);
        env_copy(&dst->labels, &src->labels);
        if (src->health) {
                dst->health = xmalloc(sizeof(*dst->health));
                *dst->health = *src->health;
                dst->health->test = list_copy(src->health->test);
        }
        dst->stopsignal = str_copy(src->stopsignal);
        dst->shell = list_copy(src->shell);
        dst->onbuild = list_copy(src->onbuild);
        dst->author = str_copy(src->author);
}

static json_object *
list_json(char *const *v)
{
        json_object *a;

        if (!v)
                return NULL;
        a = json_object_new_array();
        strv_foreach(s, v)
                json_object_array_add(a, json_object_new_string(s));
        return a;
}

/* {"80/tcp": {}, ...} */
static json_object *
set_json(char *const *v)
{
        json_object *o;

        if (!v)
                return NULL;
        o = json_object_new_object();
        strv_foreach(s, v)
                json_object_object_add(o, s, json_object_new_object());
        return o;
}

static void
add_duration(json_object *o, const char *key, int64_t ns)
{
        if (ns != 0)
                json_object_object_add(o, key, json_object_new_int64(ns));
}

static json_object *
health_json(const struct dfstage_health *h)
{
        json_object *o;

        if (!h)
                return NULL;
        o = json_object_new_object();
        json_object_object_add(o, "Test", list_json(h->test));
        add_duration(o, "Interval", h->interval);
        add_duration(o, "Timeout", h->timeout);
        add_duration(o, "StartPeriod", h->start_period);
        add_duration(o, "StartInterval", h->start_interval);
        if (h->retries != 0)
                json_object_object_add(o, "Retries", json_object_new_int(h->retries));
        return o;
}

json_object *
dfstage_config_to_json(const struct dfstage_config *c)
{
        json_object *o = json_object_new_object();
        json_object *labels = NULL;

        if (c->labels.n > 0) {
                labels = json_object_new_object();
                for (size_t i = 0; i < c->labels.n; i++)
                        json_object_object_add(labels, c->labels.names[i],
                                               json_object_new_string(c->labels.values[i]));
        }
        json_object_object_add(o, "Cmd", list_json(c->cmd));
        json_object_object_add(o, "Entrypoint", list_json(c->entrypoint));
        json_object_object_add(o, "Env", list_json(c->env));
        json_object_object_add(o, "ExposedPorts", set_json(c->exposed));
        json_object_object_add(o, "Healthcheck", health_json(c->health));
        json_object_object_add(o, "Labels", labels);
        json_object_object_add(o, "OnBuild", list_json(c->onbuild));
        json_object_object_add(o, "Shell", list_json(c->shell));
        json_object_object_add(o, "StopSignal",
                               c->stopsignal ? json_object_new_string(c->stopsignal) : NULL);
        json_object_object_add(o, "User", json_object_new_string(c->user ? c->user : ""));
        json_object_object_add(o, "Volumes", set_json(c->volumes));
        json_object_object_add(o, "WorkingDir",
                               json_object_new_string(c->workdir ? c->workdir : ""));
        return o;
}

static int
json_list(json_object *o, const char *key, char ***ret, struct err *err)
{
        json_object *v;
        char **out;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return err_setf(err, -EINVAL, "image config: %s is not a list", key);
        out = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *s = json_object_array_get_idx(v, i);

                if (!json_object_is_type(s, json_type_string)) {
                        strv_free(out);
                        return err_setf(err, -EINVAL, "image config: %s holds a non-string", key);
                }
                strv_add(&out, json_object_get_string(s));
        }
        *ret = out;
        return 0;
}

static int
json_set(json_object *o, const char *key, char ***ret, struct err *err)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return err_setf(err, -EINVAL, "image config: %s is not an object", key);
        json_object_object_foreach(v, k, val)
        {
                (void)val;
                strv_add(ret, k);
        }
        strv_sort(*ret);
        return 0;
}

static int
json_str(json_object *o, const char *key, char **ret, struct err *err)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return err_setf(err, -EINVAL, "image config: %s is not a string", key);
        if (json_object_get_string_len(v) > 0)
                *ret = xstrdup(json_object_get_string(v));
        return 0;
}

static int
json_health(json_object *o, struct dfstage_config *c, struct err *err)
{
        json_object *h, *v;
        struct dfstage_health *out;

        if (!json_object_object_get_ex(o, "Healthcheck", &h) || !h)
                return 0;
        if (!json_object_is_type(h, json_type_object))
                return err_setf(err, -EINVAL, "image config: Healthcheck is not an object");
        out = xcalloc(1, sizeof(*out));
        c->health = out;
        if (json_object_object_get_ex(h, "Interval", &v))
                out->interval = json_object_get_int64(v);
        if (json_object_object_get_ex(h, "Timeout", &v))
                out->timeout = json_object_get_int64(v);
        if (json_object_object_get_ex(h, "StartPeriod", &v))
                out->start_period = json_object_get_int64(v);
        if (json_object_object_get_ex(h, "StartInterval", &v))
                out->start_interval = json_object_get_int64(v);
        if (json_object_object_get_ex(h, "Retries", &v))
                out->retries = json_object_get_int(v);
        return json_list(h, "Test", &out->test, err);
}

static int
json_labels(json_object *o, struct dfstage_config *c, struct err *err)
{
        json_object *v;

        if (!json_object_object_get_ex(o, "Labels", &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return err_setf(err, -EINVAL, "image config: Labels is not an object");
        json_object_object_foreach(v, k, val)
        {
                if (!json_object_is_type(val, json_type_string))
                        return err_setf(err, -EINVAL, "image config: label '%s' is not a string",
                                        k);
                env_set(&c->labels, k, json_object_get_string(val));
        }
        return 0;
}

int
dfstage_config_from_json(json_object *o, struct dfstage_config *ret, struct err *err)
{
        struct dfstage_config c;
        int r = 0;

        dfstage_config_init(&c);
        if (o && !json_object_is_type(o, json_type_object))
                return err_setf(err, -EINVAL, "image config is not a JSON object");
        if (o) {
                r = json_list(o, "Env", &c.env, err);
                r = r ? r : json_list(o, "Cmd", &c.cmd, err);
                r = r ? r : json_list(o, "Entrypoint", &c.entrypoint, err);
                r = r ? r : json_str(o, "WorkingDir", &c.workdir, err);
                r = r ? r : json_str(o, "User", &c.user, err);
                r = r ? r : json_set(o, "ExposedPorts", &c.exposed, err);
                r = r ? r : json_set(o, "Volumes", &c.volumes, err);
                r = r ? r : json_labels(o, &c, err);
                r = r ? r : json_health(o, &c, err);
                r = r ? r : json_str(o, "StopSignal", &c.stopsignal, err);
                r = r ? r : json_list(o, "Shell", &c.shell, err);
                r = r ? r : json_list(o, "OnBuild", &c.onbuild, err);
        }
        if (r < 0) {
                dfstage_config_release(&c);
                return r;
        }
        *ret = c;
        return 0;
}
