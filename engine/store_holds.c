/* store_holds: the part of the store's holds (store.h) that needs no open store: the holder
 * name check and dropping a hold by path. The monitor of a --rm container drops its hold when
 * it removes the container; this file lets the small berth-monitor executable do that
 * without linking the rest of the store (layers, and through them libarchive).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/store.h"

int
store_check_holder(const char *holder, struct err *err)
{
        size_t n = strlen(holder);

        if (n == 0 || n > STORE_HOLDER_MAX || holder[0] == '.' ||
            strspn(holder, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                    n)
                return err_setf(err, -EINVAL, "invalid holder name '%s'", holder);
        return 0;
}

int
store_unhold_at(const char *root, const char *holder, struct err *err)
{
        cleanup_free char *p = NULL;
        int r = store_check_holder(holder, err);

        if (r < 0)
                return r;
        p = xasprintf("%s/store/holds/%s", root, holder);
        if (unlink(p) < 0 && errno != ENOENT && errno != ENOTDIR)
                return err_setf(err, -errno, "remove hold '%s': %s", holder, strerror(errno));
        return 0;
}
