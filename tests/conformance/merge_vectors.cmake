add_test(NAME conformance/merge
         COMMAND merge_vectors ${CONF}/compose/compose-go/merge-vectors.yaml)
