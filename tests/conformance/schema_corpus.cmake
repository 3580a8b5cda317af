add_test(NAME conformance/schema COMMAND schema_corpus ${CONF}/compose)
