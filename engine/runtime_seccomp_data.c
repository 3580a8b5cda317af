/* Docker's default seccomp profile (moby/profiles, seccomp/default.json, Apache-2.0; see
 * shared/conformance/runtime/docker-default-seccomp.SOURCE.txt), embedded so that berth needs
 * no file beside the binary. The assembler finds the file through the include path, which has
 * the source root (CMake include_directories). */
#include "engine/runtime_int.h"

__asm__(".section .rodata\n"
        ".type rt_seccomp_default_json, @object\n"
        "rt_seccomp_default_json:\n"
        ".incbin \"engine/seccomp-default.json\"\n"
        ".byte 0\n"
        ".previous\n");

extern const char rt_seccomp_default_json[];

const char *
rt_seccomp_default_profile(void)
{
        return rt_seccomp_default_json;
}
