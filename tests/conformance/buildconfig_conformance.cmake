# buildconfig_conformance: image config of every build-config case, computed without running.
add_test(NAME conformance/dockerfile/build-config
         COMMAND buildconfig_conformance ${CONF}/dockerfile/build-config/cases)
