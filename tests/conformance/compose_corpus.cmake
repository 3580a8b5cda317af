add_test(NAME conformance/compose COMMAND compose_corpus ${CONF}/compose)
