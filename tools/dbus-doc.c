/* dbus-doc: the D-Bus reference of docs/dbus-api.md, generated from the
 * gtk-doc comments of the XML files in dbus/ (the format gdbus-codegen reads), so the
 * document and the contract cannot drift apart.
 *
 *   dbus-doc XML...                      print the reference (Markdown)
 *   dbus-doc --check DOC XML...          exit 1 if DOC's reference differs
 *   dbus-doc --update DOC XML...         rewrite DOC's reference in place
 *
 * It also refuses a contract with an undocumented interface, method,
 * argument, property or signal, a comment naming another member than the one
 * it precedes, or a property name used twice (GetAll("") and clients that
 * merge an object's interfaces need them unique). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define BEGIN_MARK "<!-- BEGIN REFERENCE: generated from dbus/*.xml by tools/dbus-doc; edit the XML -->"
#define END_MARK "<!-- END REFERENCE -->"

/* A growing string; on allocation failure the program ends. */
typedef struct Text {
        char *s;
        size_t len, cap;
} Text;

static void text_add(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(Text *t, const char *fmt, ...) {
        va_list ap;
        for (;;) {
                va_start(ap, fmt);
                int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
                va_end(ap);
                if (n < 0)
                        abort();
                if (t->s && t->len + (size_t) n < t->cap) {
                        t->len += (size_t) n;
                        return;
                }
                t->cap = (t->cap + (size_t) n + 1) * 2;
                t->s = realloc(t->s, t->cap);
                if (!t->s)
                        abort();
        }
}

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("dbus-doc: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        failures++;
}

/* One parsed comment: "Symbol: text" then "@arg: text" lines, a blank line,
 * then paragraphs. Each part is one line of text (lines joined by spaces). */
#define DOC_ARGS_MAX 16
typedef struct Doc {
        char *symbol;
        char *summary; /* the text after "Symbol:" */
        char *arg_names[DOC_ARGS_MAX], *arg_texts[DOC_ARGS_MAX];
        size_t n_args;
        char *body; /* paragraphs, separated by "\n\n" */
} Doc;

static void doc_done(Doc *d) {
        free(d->symbol), free(d->summary), free(d->body);
        for (size_t i = 0; i < d->n_args; i++)
                free(d->arg_names[i]), free(d->arg_texts[i]);
        memset(d, 0, sizeof *d);
}

static char *trim(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = '\0';
        return s;
}

/* Appends line to *part, joined by one space. */
static void join(char **part, const char *line) {
        Text t = { 0 };
        if (*part && **part)
                text_add(&t, "%s %s", *part, line);
        else
                text_add(&t, "%s", line);
        free(*part);
        *part = t.s;
}

static bool parse_doc(const char *comment, Doc *d) {
        char *copy = strdup(comment), *rest = copy, *line;
        char **current = NULL; /* the part continuation lines go to */
        bool header = true, blank_before = false;
        Text body = { 0 };
        if (!copy)
                abort();
        while ((line = strsep(&rest, "\n"))) {
                line = trim(line);
                if (!*line) {
                        blank_before = true;
                        continue;
                }
                if (!d->symbol) {
                        char *colon = strchr(line, ':');
                        if (!colon || colon == line) {
                                free(copy);
                                return false;
                        }
                        *colon = '\0';
                        d->symbol = strdup(line);
                        d->summary = strdup(trim(colon + 1));
                        current = &d->summary;
                        blank_before = false;
                        continue;
                }
                if (header && !blank_before && line[0] == '@') {
                        char *colon = strchr(line, ':');
                        if (!colon || d->n_args == DOC_ARGS_MAX) {
                                free(copy);
                                return false;
                        }
                        *colon = '\0';
                        d->arg_names[d->n_args] = strdup(line + 1);
                        d->arg_texts[d->n_args] = strdup(trim(colon + 1));
                        current = &d->arg_texts[d->n_args++];
                        continue;
                }
                if (header && !blank_before) {
                        join(current, line);
                        continue;
                }
                header = false;
                if (blank_before && body.len)
                        text_add(&body, "\n\n%s", line);
                else if (body.len)
                        text_add(&body, " %s", line);
                else
                        text_add(&body, "%s", line);
                blank_before = false;
        }
        d->body = body.s ? body.s : strdup("");
        free(copy);
        return d->symbol != NULL;
}

/* The comment right before element n (only blank text between them). */
static bool doc_of(xmlNode *n, const char *symbol, Doc *d) {
        xmlNode *c = n->prev;
        while (c && c->type == XML_TEXT_NODE && xmlIsBlankNode(c))
                c = c->prev;
        memset(d, 0, sizeof *d);
        if (!c || c->type != XML_COMMENT_NODE) {
                fail("%s: no documentation comment before it", symbol);
                return false;
        }
        if (!parse_doc((const char *) c->content, d)) {
                fail("%s: its comment does not start with \"%s:\"", symbol, symbol);
                doc_done(d);
                return false;
        }
        if (strcmp(d->symbol, symbol) != 0) {
                fail("%s: its comment documents \"%s\"", symbol, d->symbol);
                doc_done(d);
                return false;
        }
        return true;
}

static char *prop(xmlNode *n, const char *name) {
        return (char *) xmlGetProp(n, (const xmlChar *) name);
}

static bool is(xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0;
}

/* The value of annotation name on n, or NULL. */
static char *annotation(xmlNode *n, const char *name) {
        for (xmlNode *a = n->children; a; a = a->next) {
                if (!is(a, "annotation"))
                        continue;
                char *key = prop(a, "name");
                bool match = key && strcmp(key, name) == 0;
                xmlFree(key);
                if (match)
                        return prop(a, "value");
        }
        return NULL;
}

#define PROPERTIES_MAX 256
static char *seen_properties[PROPERTIES_MAX];
static size_t n_seen_properties;

static void note_property(const char *interface, const char *name) {
        for (size_t i = 0; i < n_seen_properties; i++)
                if (strcmp(seen_properties[i], name) == 0)
                        fail("%s.%s: another interface has a property of that name", interface, name);
        if (n_seen_properties < PROPERTIES_MAX)
                seen_properties[n_seen_properties++] = strdup(name);
}

/* How the property tells of its changes, in words. */
static const char *changes_of(xmlNode *p) {
        char *explicit = annotation(p, "org.freedesktop.systemd1.Explicit");
        char *emits = annotation(p, "org.freedesktop.DBus.Property.EmitsChangedSignal");
        const char *words = "emits change";
        if (emits && strcmp(emits, "const") == 0)
                words = "const";
        else if (emits && strcmp(emits, "invalidates") == 0)
                words = explicit ? "explicit, invalidates" : "invalidates";
        else if (emits && strcmp(emits, "false") == 0)
                words = "no signal";
        xmlFree(explicit), xmlFree(emits);
        return words;
}

static void print_body(Text *out, const Doc *d) {
        if (d->body && *d->body)
                text_add(out, "%s\n\n", d->body);
}

static void print_method(Text *out, const char *interface, xmlNode *m) {
        char *name = prop(m, "name");
        char symbol[512];
        Doc d;
        snprintf(symbol, sizeof symbol, "%s.%s()", interface, name);
        if (!doc_of(m, name, &d)) {
                xmlFree(name);
                return;
        }
        Text in = { 0 }, outs = { 0 }, args = { 0 };
        size_t n_documented = 0;
        for (xmlNode *a = m->children; a; a = a->next) {
                if (!is(a, "arg"))
                        continue;
                char *an = prop(a, "name"), *type = prop(a, "type"), *dir = prop(a, "direction");
                bool is_out = dir && strcmp(dir, "out") == 0;
                const char *text = NULL;
                for (size_t i = 0; an && i < d.n_args; i++)
                        if (strcmp(d.arg_names[i], an) == 0)
                                text = d.arg_texts[i], n_documented++;
                if (!an)
                        fail("%s: an argument without a name", symbol);
                else if (!text || !*text)
                        fail("%s: argument %s is not documented", symbol, an);
                Text *list = is_out ? &outs : &in;
                text_add(list, "%s%s %s", list->len ? ", " : "", type, an ? an : "?");
                text_add(&args, "| `%s` | `%s` | %s | %s |\n", an ? an : "?", type, is_out ? "out" : "in",
                         text ? text : "");
                xmlFree(an), xmlFree(type), xmlFree(dir);
        }
        if (n_documented != d.n_args)
                fail("%s: its comment documents an argument it does not have", symbol);
        if (d.summary && *d.summary)
                fail("%s: the text goes after the argument lines and a blank line", symbol);
        text_add(out, "#### `%s(%s)", name, in.s ? in.s : "");
        if (outs.len)
                text_add(out, " → %s", outs.s);
        text_add(out, "`\n\n");
        print_body(out, &d);
        if (args.len)
                text_add(out, "| argument | type | direction | meaning |\n|---|---|---|---|\n%s\n", args.s);
        free(in.s), free(outs.s), free(args.s);
        doc_done(&d);
        xmlFree(name);
}

static void print_signal(Text *out, const char *interface, xmlNode *s) {
        char *name = prop(s, "name");
        Doc d;
        if (doc_of(s, name, &d)) {
                text_add(out, "#### signal `%s`\n\n", name);
                print_body(out, &d);
                for (size_t i = 0; i < d.n_args; i++)
                        text_add(out, "- `%s`: %s\n", d.arg_names[i], d.arg_texts[i]);
                if (d.n_args)
                        text_add(out, "\n");
                doc_done(&d);
        }
        xmlFree(name);
}

static void print_interface(Text *out, xmlNode *iface) {
        char *name = prop(iface, "name");
        Doc d;
        if (!name || !doc_of(iface, name, &d)) {
                xmlFree(name);
                return;
        }
        const char *short_description = NULL;
        for (size_t i = 0; i < d.n_args; i++)
                if (strcmp(d.arg_names[i], "short_description") == 0)
                        short_description = d.arg_texts[i];
        if (!short_description)
                fail("%s: no @short_description", name);
        text_add(out, "### `%s`\n\n", name);
        if (short_description)
                text_add(out, "*%s.*\n\n", short_description);
        print_body(out, &d);
        doc_done(&d);

        Text props = { 0 };
        for (xmlNode *p = iface->children; p; p = p->next) {
                if (!is(p, "property"))
                        continue;
                char *pn = prop(p, "name"), *type = prop(p, "type");
                Doc pd;
                note_property(name, pn);
                if (doc_of(p, pn, &pd)) {
                        if (!pd.summary || !*pd.summary)
                                fail("%s.%s: the text goes on the \"%s:\" line", name, pn, pn);
                        text_add(&props, "| `%s` | `%s` | %s | %s |\n", pn, type, changes_of(p),
                                 pd.summary ? pd.summary : "");
                        if (pd.body && *pd.body)
                                fail("%s.%s: one paragraph only (a table cell)", name, pn);
                        doc_done(&pd);
                }
                xmlFree(pn), xmlFree(type);
        }
        if (props.len)
                text_add(out, "| property | type | changes | meaning |\n|---|---|---|---|\n%s\n", props.s);
        free(props.s);
        for (xmlNode *m = iface->children; m; m = m->next)
                if (is(m, "method"))
                        print_method(out, name, m);
        for (xmlNode *s = iface->children; s; s = s->next)
                if (is(s, "signal"))
                        print_signal(out, name, s);
        xmlFree(name);
}

static char *reference(char **files, int n) {
        Text out = { 0 };
        text_add(&out, "%s\n\n", BEGIN_MARK);
        for (int i = 0; i < n; i++) {
                xmlDoc *doc = xmlReadFile(files[i], NULL, XML_PARSE_NONET);
                if (!doc) {
                        fail("%s: not readable XML", files[i]);
                        continue;
                }
                xmlNode *root = xmlDocGetRootElement(doc);
                for (xmlNode *iface = root ? root->children : NULL; iface; iface = iface->next)
                        if (is(iface, "interface"))
                                print_interface(&out, iface);
                xmlFreeDoc(doc);
        }
        text_add(&out, "%s\n", END_MARK);
        return out.s;
}

static char *read_all(const char *path) {
        FILE *f = fopen(path, "re");
        Text t = { 0 };
        char buf[8192];
        size_t n;
        if (!f) {
                fail("%s: %s", path, strerror(errno));
                return NULL;
        }
        text_add(&t, "%s", "");
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                text_add(&t, "%.*s", (int) n, buf);
        fclose(f);
        return t.s;
}

/* The reference's place in the document: [*begin, *end) spans the markers. */
static bool find_reference(const char *doc, const char *path, const char **begin, const char **end) {
        *begin = strstr(doc, BEGIN_MARK);
        const char *e = *begin ? strstr(*begin, END_MARK) : NULL;
        if (!*begin || !e) {
                fail("%s: no reference markers (%s ... %s)", path, BEGIN_MARK, END_MARK);
                return false;
        }
        *end = e + strlen(END_MARK) + (e[strlen(END_MARK)] == '\n');
        return true;
}

int main(int argc, char **argv) {
        const char *mode = NULL, *doc_path = NULL;
        int first = 1;
        if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                printf("Usage: dbus-doc XML...             print the D-Bus reference\n"
                       "       dbus-doc --check DOC XML... exit 1 if DOC's reference is not the XML's\n"
                       "       dbus-doc --update DOC XML.. rewrite DOC's reference from the XML\n");
                return 0;
        }
        if (argc > 2 && (strcmp(argv[1], "--check") == 0 || strcmp(argv[1], "--update") == 0)) {
                mode = argv[1] + 2;
                doc_path = argv[2];
                first = 3;
        }
        if (first >= argc) {
                fprintf(stderr, "dbus-doc: no XML files (see --help)\n");
                return 2;
        }
        char *ref = reference(argv + first, argc - first);
        if (failures) {
                fprintf(stderr, "dbus-doc: %d problem(s) in the XML's documentation\n", failures);
                return 1;
        }
        if (!mode) {
                fputs(ref, stdout);
                free(ref);
                return 0;
        }
        char *doc = read_all(doc_path);
        const char *begin, *end;
        if (!doc || !find_reference(doc, doc_path, &begin, &end))
                return 1;
        size_t old_len = (size_t) (end - begin);
        bool same = old_len == strlen(ref) && memcmp(begin, ref, old_len) == 0;
        if (strcmp(mode, "check") == 0) {
                if (!same)
                        fprintf(stderr,
                                "dbus-doc: %s: its reference differs from dbus/*.xml; "
                                "edit the XML, then run: ninja -C build dbus-doc-update\n",
                                doc_path);
                free(ref), free(doc);
                return same ? 0 : 1;
        }
        if (same) {
                free(ref), free(doc);
                return 0;
        }
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", doc_path);
        FILE *f = fopen(tmp, "we");
        if (!f || fprintf(f, "%.*s%s%s", (int) (begin - doc), doc, ref, end) < 0 || fclose(f) != 0 ||
            rename(tmp, doc_path) < 0) {
                fprintf(stderr, "dbus-doc: %s: %s\n", doc_path, strerror(errno));
                return 1;
        }
        free(ref), free(doc);
        return 0;
}
