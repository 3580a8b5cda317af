add_test(NAME conformance/interpolation
         COMMAND interp_vectors ${CONF}/compose/interpolation-vectors.json)
