add_test(NAME conformance/dotenv
         COMMAND dotenv_vectors ${CONF}/compose/compose-go/dotenv-vectors.json)
