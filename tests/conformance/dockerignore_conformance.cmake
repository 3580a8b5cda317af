# dockerignore_conformance: every row of dockerignore-cases.tsv.
add_test(NAME conformance/dockerfile/dockerignore
         COMMAND dockerignore_conformance ${CONF}/dockerfile/dockerignore-cases.tsv)
