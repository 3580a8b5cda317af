# context_hash is the entry point bench/context.sh times; a smoke run on a corpus context.
add_test(NAME conformance/dockerfile/context-hash
         COMMAND context_hash ${CONF}/dockerfile/build-config/cases/copy-semantics
                 ${CMAKE_CURRENT_BINARY_DIR}/context-hash-smoke.cache)
