/* container_hold: dropping a container's hold on its image (container.h) without opening the
 * store, so that the monitor (berth-monitor) can do it for a --rm container; taking a hold
 * and resolving the image stay in container_image.c with the rest of the store.
 */
#include "engine/container.h"
#include "engine/store.h"

void
ctr_image_unhold(const char *root, const char *holder)
{
        struct err e = { 0 };

        store_unhold_at(root, holder, &e);
}
