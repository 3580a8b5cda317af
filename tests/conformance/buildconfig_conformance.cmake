# buildconfig_conformance: image config of every build-config case, computed without running.
# COPY/ADD history lines are checked with the builder's own text and source hashes
target_link_libraries(buildconfig_conformance PRIVATE berth_engine)
add_test(NAME conformance/dockerfile/build-config
         COMMAND buildconfig_conformance ${CONF}/dockerfile/build-config/cases)
