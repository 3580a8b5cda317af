# shell_conformance: builder variable expansion tables (envVarTest, wordsTest, extended cases).
add_test(NAME conformance/dockerfile/shell COMMAND shell_conformance ${CONF}/dockerfile/shell)
