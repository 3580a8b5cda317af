/* dockerfile: the Dockerfile parser (the stage before variable expansion and instruction
 * semantics, which spec/dfstage does).
 *
 * It follows docker's builder (moby/buildkit frontend/dockerfile/parser) byte for byte:
 * parser directives (# syntax, # escape, # check) in the leading comment block, comments, a
 * UTF-8 BOM and CRLF, line continuations with the active escape character (comment lines
 * and empty lines inside a continuation are dropped), heredocs (<<EOF, <<-EOF, quoted
 * delimiters, several per line) on RUN, COPY and ADD, leading --flags, and the argument
 * shape of each instruction (exec/JSON form with buildkit's fallbacks, ENV/LABEL pairs in
 * both forms, ...). Unknown instructions are kept (as docker does; dfstage rejects them).
 *
 * Errors are -EINVAL with "NAME:LINE: what" (NAME is the file name given, "Dockerfile" by
 * default). Sizes are capped (struct dockerfile_limits); a cap hit is -EFBIG, same wording.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/sbuf.h"

enum df_cmd {
        DF_UNKNOWN,
        DF_ADD,
        DF_ARG,
        DF_CMD,
        DF_COPY,
        DF_ENTRYPOINT,
        DF_ENV,
        DF_EXPOSE,
        DF_FROM,
        DF_HEALTHCHECK,
        DF_LABEL,
        DF_MAINTAINER,
        DF_ONBUILD,
        DF_RUN,
        DF_SHELL,
        DF_STOPSIGNAL,
        DF_USER,
        DF_VOLUME,
        DF_WORKDIR,
};

struct df_heredoc {
        char *name;       /* the delimiter word with quotes removed */
        char *content;    /* the raw body, each line with its line ending; tabs kept */
        unsigned long fd; /* leading digits of 3<<EOF, 0 when none */
        bool expand;      /* no part of the delimiter was quoted: expand the body */
        bool chomp;       /* <<-: strip leading tabs of each line when the body is used */
};

/* One instruction. The argument layout per instruction (what `args` holds):
 *   RUN CMD ENTRYPOINT SHELL: json ? the JSON strings : one arg, the rest of the line
 *   COPY ADD VOLUME:          json ? the JSON strings : the rest split on blanks
 *   FROM EXPOSE:              the rest split on blanks ("AS", "name" kept as written)
 *   ENV LABEL:                triples key, value, sep ("=" for k=v words with quotes kept
 *                             raw; "" for the legacy "KEY the rest" form)
 *   ARG:                      one arg per word, quotes kept
 *   USER WORKDIR STOPSIGNAL MAINTAINER: one arg, the rest of the line
 *   HEALTHCHECK:              the type word, then the rest as for CMD
 *   ONBUILD:                  no args; `sub` is the trigger instruction
 *   unknown:                  one empty arg
 * An instruction with nothing after the keyword has no args. */
struct df_instr {
        enum df_cmd cmd;
        char *keyword;  /* as written, e.g. "copy" */
        char *original; /* the instruction text after continuation joining */
        char **flags;   /* strv of leading --flag words, quotes removed; NULL if none */
        char **args;    /* strv; NULL when there are no args */
        size_t *arglen; /* byte length of each arg: more than strlen() only when a JSON
                         * string held "\u0000" (dfstage rejects such args) */
        size_t nargs;
        bool json;            /* exec form: args came from a JSON array */
        struct df_instr *sub; /* ONBUILD trigger (owned), else NULL */
        struct df_heredoc *heredocs;
        size_t nheredocs;
        int start_line, end_line; /* 1-based, continuation lines included */
};

struct dockerfile {
        char *name; /* for messages: "Dockerfile" or the name given */
        struct df_instr *instrs;
        size_t n;
        char escape;              /* '\\' or '`' */
        char *syntax;             /* # syntax= value, or NULL */
        char *check;              /* # check= value, or NULL */
        char **warnings;          /* strv of parser warnings (empty continuation lines) */
        int start_line, end_line; /* span of all instructions */
};

struct dockerfile_limits {
        size_t max_bytes;        /* whole file */
        size_t max_line;         /* one physical line, without its line ending */
        size_t max_heredoc;      /* one heredoc body */
        size_t max_instructions; /* top-level instructions */
};

#define DOCKERFILE_MAX_BYTES        (4u << 20)
#define DOCKERFILE_MAX_LINE         65535u
#define DOCKERFILE_MAX_HEREDOC      (1u << 20)
#define DOCKERFILE_MAX_INSTRUCTIONS 10000u
/* ONBUILD nesting accepted by the parser (dfstage allows none) */
#define DOCKERFILE_MAX_NESTING 8

/* dockerfile_parse: parse text[0..len) (need not be NUL-terminated). name is used in error
 * messages (NULL: "Dockerfile"); lim NULL means the DOCKERFILE_MAX_* defaults. A file with
 * no instruction is an error. *ret is owned by the caller (dockerfile_free). */
int dockerfile_parse(const char *name, const char *text, size_t len,
                     const struct dockerfile_limits *lim, struct dockerfile **ret, struct err *err);
struct dockerfile *dockerfile_free(struct dockerfile *df);

/* dockerfile_instr_release: free the contents of one instruction (used by dfstage for the
 * instructions it parses out of ONBUILD triggers). */
void dockerfile_instr_release(struct df_instr *in);

/* dockerfile_cmd_name: the upper-case keyword of a known instruction, "" for DF_UNKNOWN. */
const char *dockerfile_cmd_name(enum df_cmd cmd);
/* dockerfile_cmd_lookup: the instruction for a keyword (any case), DF_UNKNOWN if none. */
enum df_cmd dockerfile_cmd_lookup(const char *keyword);

/* dockerfile_heredoc_word: whether one word is a heredoc marker (<<EOF, 3<<-'EOF', << EOF).
 * Returns 1 and fills *ret (owned: name only, no content) when it is, 0 when it is not,
 * -EINVAL when the delimiter is malformed (unbalanced quote). */
int dockerfile_heredoc_word(const char *word, struct df_heredoc *ret, struct err *err);
/* dockerfile_heredoc_markers: the heredoc markers of an instruction line, in order (the line
 * is split into words as docker does first). The array and names are owned; no content. */
int dockerfile_heredoc_markers(const char *line, struct df_heredoc **ret, size_t *ret_n,
                               struct err *err);
void dockerfile_heredoc_release(struct df_heredoc *h);
/* dockerfile_heredoc_body: the body as used: leading tabs stripped from every line for <<-. */
char *dockerfile_heredoc_body(const struct df_heredoc *h);

/* dockerfile_dump: append the AST dump docker's parser tests use: one "(instr [flags] args)"
 * line per instruction (see the parser corpus MANIFEST). */
void dockerfile_dump(const struct dockerfile *df, struct sbuf *out);
/* dockerfile_dump_instr: the dump of one instruction, without the newline. */
void dockerfile_dump_instr(const struct df_instr *in, struct sbuf *out);
