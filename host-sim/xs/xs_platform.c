/*
 * xs_platform.c - XS platform glue of the desktop XS host: what XS asks its
 * platform for (see xs_platform.h), written against XS's internal API
 * (xsAll.h), as every XS platform is.
 *
 * Modules, as on a Moddable device:
 *   - Module names come from the "modules" objects of manifests, with the
 *     meaning mcconfig gives them: "name": "dir/file" makes module "name" of
 *     dir/file.js; a key "prefix/" plus a star, with a value "dir/" plus a
 *     star, makes "prefix/<base>" of every .js file in dir; the key "*" names
 *     modules by their base names. Only .js files are modules here; C sources
 *     in a manifest are linked into this program instead.
 *   - A module whose source is TypeScript (dir/file.ts, no dir/file.js), which
 *     mcconfig would compile itself, runs here as tsc compiled it: a manifest
 *     says where, with "xtml-host": {"tsc": {"rootDir": R, "outDir": O}}
 *     (paths relative to that manifest, as in the tsconfig that built O), and
 *     the module is O/<file's path below R>.js. The first manifest that says
 *     so wins; it applies to the manifests it includes. Without it the module
 *     maps to the .ts file (enough for --modules; XS cannot run it).
 *   - A specifier is resolved as XS resolves it on a device
 *     (xs/platforms/mc/xsHosts.c): "moddable:" is dropped; "./" and "../" are
 *     taken relative to the importing module's *name*, not its file; "#name"
 *     within the importer's package (the first part of its name); a final
 *     .js or .mjs is dropped. The result must be a module name in the map. So
 *     dist/src/session.js, mapped as "xs-tinyml/session", finds "./errors.js"
 *     as "xs-tinyml/errors", exactly as the same manifest does on a device.
 *   - Host functions declared with @ "name" are looked up by symbol in this
 *     executable (linked with -rdynamic), where mcconfig would have generated
 *     a table of the same C functions.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>

#include "xsAll.h"
#include "xsScript.h"
#include "xs_host.h"

/* ---- The module map ---- */

typedef struct module_entry {
    char *name;
    char *file;
} module_entry_t;

static module_entry_t *modules;
static size_t module_count, module_capacity;

static char *copy_string(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p == NULL) {
        fprintf(stderr, "xtml-xs: out of memory\n");
        exit(2);
    }
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static const module_entry_t *module_lookup(const char *name) {
    size_t i;
    /* Later entries win: a manifest overrides what it includes. */
    for (i = module_count; i > 0; i--) {
        if (strcmp(modules[i - 1].name, name) == 0) {
            return &modules[i - 1];
        }
    }
    return NULL;
}

static void module_add(const char *name, const char *path) {
    char real[PATH_MAX];
    const char *file = realpath(path, real) != NULL ? real : path;
    if (module_count == module_capacity) {
        module_capacity = module_capacity ? 2 * module_capacity : 64;
        modules = realloc(modules, module_capacity * sizeof *modules);
        if (modules == NULL) {
            fprintf(stderr, "xtml-xs: out of memory\n");
            exit(2);
        }
    }
    modules[module_count].name = copy_string(name, strlen(name));
    modules[module_count].file = copy_string(file, strlen(file));
    module_count++;
}

void xtml_host_list_modules(FILE *out) {
    size_t i;
    for (i = 0; i < module_count; i++) {
        if (module_lookup(modules[i].name) == &modules[i]) {
            fprintf(out, "%s\t%s\n", modules[i].name, modules[i].file);
        }
    }
}

/* ---- A small JSON reader, enough for manifests ---- */

typedef struct json {
    char type; /* 'o' object, 'a' array, 's' string, '-' anything else */
    char *key; /* member name inside an object */
    char *string;
    struct json *child;
    struct json *next;
} json_t;

typedef struct json_reader {
    const char *p;
    const char *end;
    const char *error;
} json_reader_t;

static void json_free(json_t *j) {
    while (j != NULL) {
        json_t *next = j->next;
        json_free(j->child);
        free(j->key);
        free(j->string);
        free(j);
        j = next;
    }
}

static void json_space(json_reader_t *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) {
        r->p++;
    }
}

static char *json_string(json_reader_t *r) {
    size_t cap = 32, n = 0;
    char *s = malloc(cap);
    r->p++; /* opening quote */
    while (s != NULL && r->p < r->end && *r->p != '"') {
        char c = *r->p++;
        if (c == '\\' && r->p < r->end) {
            c = *r->p++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': r->error = "\\u escapes are not supported in manifests here"; break;
            default: break; /* \" \\ \/ */
            }
        }
        if (n + 2 > cap) {
            char *t = realloc(s, cap *= 2);
            if (t == NULL) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
        }
        if (s != NULL) {
            s[n++] = c;
        }
    }
    if (s == NULL || r->p >= r->end) {
        free(s);
        r->error = s == NULL ? "out of memory" : "unterminated string";
        return NULL;
    }
    r->p++; /* closing quote */
    s[n] = 0;
    return s;
}

static json_t *json_value(json_reader_t *r, int depth) {
    json_t *j;
    json_t **tail;
    json_space(r);
    if (r->p >= r->end || depth > 64) {
        r->error = depth > 64 ? "nested too deeply" : "unexpected end";
        return NULL;
    }
    j = calloc(1, sizeof *j);
    if (j == NULL) {
        r->error = "out of memory";
        return NULL;
    }
    tail = &j->child;
    if (*r->p == '{' || *r->p == '[') {
        char close = *r->p == '{' ? '}' : ']';
        j->type = *r->p == '{' ? 'o' : 'a';
        r->p++;
        json_space(r);
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return j;
        }
        for (;;) {
            char *key = NULL;
            json_t *item;
            json_space(r);
            if (j->type == 'o') {
                if (r->p >= r->end || *r->p != '"' || (key = json_string(r)) == NULL) {
                    r->error = r->error ? r->error : "expected a member name";
                    break;
                }
                json_space(r);
                if (r->p >= r->end || *r->p != ':') {
                    free(key);
                    r->error = "expected ':'";
                    break;
                }
                r->p++;
            }
            item = json_value(r, depth + 1);
            if (item == NULL) {
                free(key);
                break;
            }
            item->key = key;
            *tail = item;
            tail = &item->next;
            json_space(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == close) {
                r->p++;
                return j;
            }
            r->error = "expected ',' or a closing bracket";
            break;
        }
        json_free(j);
        return NULL;
    }
    if (*r->p == '"') {
        j->type = 's';
        j->string = json_string(r);
        if (j->string == NULL) {
            json_free(j);
            return NULL;
        }
        return j;
    }
    /* Numbers, true, false, null: not used by module maps, skipped. */
    j->type = '-';
    while (r->p < r->end && strchr(",]} \t\r\n", *r->p) == NULL) {
        r->p++;
    }
    return j;
}

/* ---- Manifests ---- */

static int fail(char *error, size_t size, const char *format, const char *a, const char *b) {
    snprintf(error, size, format, a, b);
    return -1;
}

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n;
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)n + 1);
        if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        if (data != NULL) {
            data[n] = 0;
            *size = (size_t)n;
        }
    }
    fclose(f);
    return data;
}

/* dir + "/" + path, or path when it is absolute; exits when too long. */
static void join_path(char *out, size_t size, const char *dir, const char *path) {
    int n;
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
    }
    n = path[0] == '/' ? snprintf(out, size, "%s", path) : snprintf(out, size, "%s/%s", dir, path);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "xtml-xs: path too long: %s/%s\n", dir, path);
        exit(2);
    }
}

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where tsc put the JavaScript of TypeScript modules (absolute, no trailing slash); empty when unknown. */
static char tsc_root[PATH_MAX], tsc_out[PATH_MAX];

/* The file of a module whose source is path + ".ts": see the header. */
static void typescript_output(char *file, size_t size, const char *path) {
    char real[PATH_MAX];
    size_t root_len = strlen(tsc_root);
    snprintf(file, size, "%s.ts", path);
    if (root_len == 0 || realpath(file, real) == NULL || strncmp(real, tsc_root, root_len) != 0 || real[root_len] != '/') {
        return;
    }
    real[strlen(real) - 3] = 0; /* drop .ts */
    if (snprintf(file, size, "%s%s.js", tsc_out, real + root_len) >= (int)size) {
        fprintf(stderr, "xtml-xs: path too long: %s%s.js\n", tsc_out, real + root_len);
        exit(2);
    }
}

/* Reads "xtml-host": {"tsc": {"rootDir", "outDir"}} of a manifest in `dir`, unless already known. */
static int read_tsc(const char *dir, const json_t *root, char *error, size_t error_size) {
    const json_t *section, *tsc, *field;
    const char *root_dir = NULL, *out_dir = NULL;
    char path[PATH_MAX];
    if (tsc_root[0] != 0) {
        return 0;
    }
    for (section = root->child; section != NULL; section = section->next) {
        if (strcmp(section->key, "xtml-host") != 0 || section->type != 'o') {
            continue;
        }
        for (tsc = section->child; tsc != NULL; tsc = tsc->next) {
            if (strcmp(tsc->key, "tsc") != 0 || tsc->type != 'o') {
                continue;
            }
            for (field = tsc->child; field != NULL; field = field->next) {
                if (field->type == 's' && strcmp(field->key, "rootDir") == 0) {
                    root_dir = field->string;
                } else if (field->type == 's' && strcmp(field->key, "outDir") == 0) {
                    out_dir = field->string;
                }
            }
        }
    }
    if (root_dir == NULL && out_dir == NULL) {
        return 0;
    }
    if (root_dir == NULL || out_dir == NULL) {
        return fail(error, error_size, "%s: xtml-host.tsc needs both rootDir and outDir%s", dir, "");
    }
    join_path(path, sizeof path, dir, root_dir);
    if (realpath(path, tsc_root) == NULL) {
        return fail(error, error_size, "%s: xtml-host.tsc.rootDir %s does not exist", dir, root_dir);
    }
    /* outDir may not exist yet (nothing compiled): keep it as written, made absolute. */
    join_path(tsc_out, sizeof tsc_out, dir, out_dir);
    if (realpath(tsc_out, path) != NULL) {
        snprintf(tsc_out, sizeof tsc_out, "%s", path);
    }
    return 0;
}

/*
 * Map `target` (a module name, or a prefix ending in a star) to `source` (a
 * path without extension, or a directory followed by a slash and a star).
 */
static int add_modules(const char *dir, const char *target, const char *source, char *error, size_t error_size) {
    char path[PATH_MAX], file[PATH_MAX], name[PATH_MAX];
    const char *star = strchr(target, '*');
    size_t source_len = strlen(source);
    if (strstr(source, "$(") != NULL) {
        return fail(error, error_size, "%s: manifest variables are not supported here (%s)", dir, source);
    }
    if (source_len >= 2 && strcmp(source + source_len - 2, "/*") == 0) {
        /* A directory: every .js file in it. */
        DIR *d;
        struct dirent *e;
        join_path(path, sizeof path, dir, source);
        path[strlen(path) - 2] = 0;
        d = opendir(path);
        if (d == NULL) {
            return 0; /* matches nothing, as in mcconfig */
        }
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 3 && strcmp(e->d_name + n - 3, ".js") == 0) {
                snprintf(file, sizeof file, "%s/%s", path, e->d_name);
                if (star != NULL) {
                    snprintf(name, sizeof name, "%.*s%.*s", (int)(star - target), target, (int)(n - 3), e->d_name);
                } else {
                    snprintf(name, sizeof name, "%s", target);
                }
                module_add(name, file);
            }
        }
        closedir(d);
        return 0;
    }
    join_path(path, sizeof path, dir, source);
    snprintf(file, sizeof file, "%s%s", path, source_len > 3 && strcmp(source + source_len - 3, ".js") == 0 ? "" : ".js");
    if (!is_file(file)) {
        snprintf(file, sizeof file, "%s.ts", path);
        if (!is_file(file)) {
            return 0; /* e.g. a C source: linked into this program, not a module */
        }
        typescript_output(file, sizeof file, path);
    }
    if (star != NULL) {
        /* "*": "dir/file" names the module "file" (after the prefix before the star). */
        const char *base = strrchr(source, '/');
        size_t base_len;
        base = base != NULL ? base + 1 : source;
        base_len = strlen(base);
        if (base_len > 3 && strcmp(base + base_len - 3, ".js") == 0) {
            base_len -= 3;
        }
        snprintf(name, sizeof name, "%.*s%.*s", (int)(star - target), target, (int)base_len, base);
    } else {
        snprintf(name, sizeof name, "%s", target);
    }
    module_add(name, file);
    return 0;
}

static int add_manifest(const char *path, int depth, char *error, size_t error_size) {
    char dir[PATH_MAX], included[PATH_MAX];
    json_reader_t r;
    json_t *root, *section, *entry, *item;
    char *text;
    size_t size;
    int status = 0;
    if (depth > 16) {
        return fail(error, error_size, "%s: manifests include each other too deeply%s", path, "");
    }
    text = read_file(path, &size);
    if (text == NULL) {
        return fail(error, error_size, "%s: %s", path, strerror(errno));
    }
    /* Absolute, so that module files (and so stack traces) name real paths. */
    if (realpath(path, dir) == NULL) {
        free(text);
        return fail(error, error_size, "%s: %s", path, strerror(errno));
    }
    *strrchr(dir, '/') = 0;
    r.p = text;
    r.end = text + size;
    r.error = NULL;
    root = json_value(&r, 0);
    free(text);
    if (root == NULL || root->type != 'o') {
        json_free(root);
        return fail(error, error_size, "%s: not a manifest: %s", path, r.error != NULL ? r.error : "not an object");
    }
    status = read_tsc(dir, root, error, error_size);
    for (section = root->child; section != NULL && status == 0; section = section->next) {
        if (strcmp(section->key, "include") == 0) {
            /* Depth first, as mcconfig combines manifests. */
            for (item = section->type == 'a' ? section->child : section; item != NULL && status == 0;
                 item = section->type == 'a' ? item->next : NULL) {
                if (item->type != 's') {
                    continue; /* git includes and the like: not here */
                }
                if (strstr(item->string, "$(") != NULL) {
                    status = fail(error, error_size, "%s: manifest variables are not supported here (%s)", path, item->string);
                    break;
                }
                join_path(included, sizeof included, dir, item->string);
                status = add_manifest(included, depth + 1, error, error_size);
            }
        }
    }
    for (section = root->child; section != NULL && status == 0; section = section->next) {
        if (strcmp(section->key, "modules") != 0 || section->type != 'o') {
            continue;
        }
        for (entry = section->child; entry != NULL && status == 0; entry = entry->next) {
            if (strcmp(entry->key, "~") == 0) {
                continue;
            }
            for (item = entry->type == 'a' ? entry->child : entry; item != NULL && status == 0;
                 item = entry->type == 'a' ? item->next : NULL) {
                if (item->type == 's') {
                    status = add_modules(dir, entry->key, item->string, error, error_size);
                }
            }
        }
    }
    json_free(root);
    return status;
}

int xtml_host_add_manifest(const char *path, char *error, size_t error_size) {
    return add_manifest(path, 0, error, error_size);
}

/* ---- Finding and loading modules ---- */

txID fxFindModule(txMachine *the, txSlot *realm, txID moduleID, txSlot *slot) {
    char name[C_PATH_MAX];
    char buffer[C_PATH_MAX];
    txInteger up = 0, skip = 0, hash = 0;
    char *slash;
    const char *path = name;
    (void)realm;
    fxToStringBuffer(the, slot, name, sizeof name);
    if (strncmp(name, "moddable:", 9) == 0) {
        memmove(name, name + 9, strlen(name + 9) + 1);
    }
    if (name[0] == '.' && name[1] == '/') {
        up = 1;
        skip = 1;
    } else if (name[0] == '.' && name[1] == '.' && name[2] == '/') {
        up = 2;
        skip = 2;
        while (name[skip + 1] == '.' && name[skip + 2] == '.' && name[skip + 3] == '/') {
            up++;
            skip += 3;
        }
    } else if (name[0] == '#') {
        hash = 1;
    }
    slash = strrchr(name, '/');
    slash = strrchr(slash != NULL ? slash : name, '.');
    if (slash != NULL && (strcmp(slash, ".js") == 0 || strcmp(slash, ".mjs") == 0)) {
        *slash = 0;
    }
    if (up > 0) {
        /* Relative to the importing module's name: drop its last part, then one more per "../". */
        if (moduleID == XS_NO_ID) {
            return XS_NO_ID;
        }
        buffer[0] = '/';
        snprintf(buffer + 1, sizeof buffer - 1, "%s", fxGetKeyName(the, moduleID));
        while (up-- > 0) {
            slash = strrchr(buffer, '/');
            if (slash == NULL) {
                return XS_NO_ID;
            }
            *slash = 0;
        }
        if (strlen(buffer) + strlen(name + skip) >= sizeof buffer) {
            mxRangeError("path too long");
        }
        strcat(buffer, name + skip);
        path = buffer + 1;
    } else if (hash) {
        /* "#name" within the importing module's package: its first part (two for "@scope/"). */
        if (moduleID == XS_NO_ID) {
            return XS_NO_ID;
        }
        snprintf(buffer, sizeof buffer, "%s", fxGetKeyName(the, moduleID));
        slash = strchr(buffer, '/');
        if (slash != NULL && buffer[0] == '@') {
            slash = strchr(slash + 1, '/');
        }
        if (slash == NULL) {
            return XS_NO_ID;
        }
        slash[1] = 0;
        if (strlen(buffer) + strlen(name) >= sizeof buffer) {
            mxRangeError("path too long");
        }
        strcat(buffer, name);
        path = buffer;
    }
    if (module_lookup(path) == NULL) {
        return XS_NO_ID;
    }
    return fxNewNameC(the, (txString)path);
}

/* The script being loaded and its file, for the host-function builder below. One machine, one thread. */
static txScript *loading;
static const char *loading_file;

static char *symbol_name(txScript *script, txID id) {
    txByte *p = script->symbolsBuffer;
    txID count, i;
    mxDecodeID(p, count);
    if (id <= 0 || id >= count) {
        return NULL;
    }
    for (i = 1; i < id; i++) {
        p += strlen((char *)p) + 1;
    }
    return (char *)p;
}

/*
 * Builder tables, kept for the life of the process: XS may keep pointers to
 * them in its host-function slots (mxHostFunctionPrimitive, the default in
 * later XS), as it does to the static tables xsc generates on a device.
 */
typedef struct builder_table {
    struct builder_table *next;
    txHostFunctionBuilder builders[];
} builder_table_t;

static builder_table_t *builder_tables;

/*
 * Runs as the script's callback before its code: builds the array of host
 * functions its @ "name" declarations use, in declaration order, as the
 * function xsc generates for a module does.
 */
static void build_hosts(txMachine *the) {
    txScript *script = loading;
    txByte *p = script->hostsBuffer;
    txID count, i, id;
    builder_table_t *table;
    txHostFunctionBuilder *builders;
    mxDecodeID(p, count);
    table = c_calloc(1, sizeof *table + (size_t)(count > 0 ? count : 1) * sizeof table->builders[0]);
    if (table == NULL) {
        fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
    }
    builders = table->builders;
    for (i = 0; i < count; i++) {
        txS1 length = *p++;
        char *name;
        void *symbol;
        mxDecodeID(p, id);
        symbol = dlsym(RTLD_DEFAULT, (char *)p);
        if (symbol == NULL) {
            char missing[128];
            snprintf(missing, sizeof missing, "%s", (char *)p);
            c_free(table);
            mxReferenceError("%s: host function %s is not linked into this host", loading_file, missing);
        }
        /* ISO C has no conversion from object to function pointer; POSIX guarantees it works. */
        memcpy(&builders[i].callback, &symbol, sizeof symbol);
        builders[i].length = length;
        name = symbol_name(script, id);
        builders[i].id = name != NULL ? fxNewNameC(the, name) : XS_NO_ID;
        p += strlen((char *)p) + 1;
    }
    table->next = builder_tables;
    builder_tables = table;
    fxBuildHosts(the, count, builders);
    mxPullSlot(mxResult);
}

static void report(void *console, txString path, txInteger line, txString format, c_va_list arguments,
                   const char *kind) {
    (void)console;
    if (path != NULL) {
        fprintf(stderr, "%s:%d: %s: ", path, (int)line, kind);
    } else {
        fprintf(stderr, "# %s: ", kind);
    }
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
}

static void report_error(void *console, txString path, txInteger line, txString format, c_va_list arguments) {
    report(console, path, line, format, arguments, "error");
}

static void report_warning(void *console, txString path, txInteger line, txString format, c_va_list arguments) {
    report(console, path, line, format, arguments, "warning");
}

void fxLoadModule(txMachine *the, txSlot *module, txID moduleID) {
    const module_entry_t *entry = module_lookup(fxGetKeyName(the, moduleID));
    txParser parser_record;
    txParser *parser = &parser_record;
    txParserJump jump;
    txScript *script = NULL;
    FILE *file;
    if (entry == NULL) {
        return; /* XS reports "no module" */
    }
    file = fopen(entry->file, "r");
    if (file == NULL) {
        mxUnknownError("module %s: cannot read %s: %s", fxGetKeyName(the, moduleID), entry->file, strerror(errno));
    }
    fxInitializeParser(parser, the, the->parserBufferSize, the->parserTableModulo);
    parser->reportError = report_error;
    parser->reportWarning = report_warning;
    parser->firstJump = &jump;
    if (c_setjmp(jump.jmp_buf) == 0) {
        parser->path = fxNewParserSymbol(parser, entry->file);
        /* mxCFlag: accept @ "name" host declarations, as xsc does for an app's modules. */
        fxParserTree(parser, file, (txGetter)fgetc, mxCFlag | mxDebugFlag, NULL);
        fxParserHoist(parser);
        fxParserBind(parser);
        script = fxParserCode(parser);
    }
    fxTerminateParser(parser);
    fclose(file);
    if (script == NULL) {
        mxUnknownError("module %s: cannot parse %s", fxGetKeyName(the, moduleID), entry->file);
    }
    if (script->hostsBuffer != NULL) {
        script->callback = build_hosts;
    }
    loading = script;
    loading_file = entry->file;
    /* Runs the script (which deletes it); a syntax error surfaces as its SyntaxError. */
    mxTry(the) {
        fxResolveModule(the, module, moduleID, script, C_NULL, C_NULL);
    }
    mxCatch(the) {
        loading = NULL;
        fxJump(the);
    }
    loading = NULL;
}

/* ---- Promise jobs and fatal errors ---- */

static int jobs_pending;

void fxQueuePromiseJobs(txMachine *the) {
    (void)the;
    jobs_pending = 1;
}

void xtml_host_run_jobs(xsMachine *the) {
    while (jobs_pending) {
        jobs_pending = 0;
        fxRunPromiseJobs(the);
    }
    fxCheckUnhandledRejections(the, 1);
}

void fxAbort(txMachine *the, int status) {
    const char *why = "fatal error";
    switch (status) {
    case 2: why = "stack overflow"; break; /* XS_STACK_OVERFLOW_EXIT; renamed in later XS */
    case XS_NOT_ENOUGH_MEMORY_EXIT: why = "not enough memory"; break;
    case XS_NO_MORE_KEYS_EXIT: why = "not enough keys"; break;
    case XS_DEAD_STRIP_EXIT: why = "dead strip"; break;
    case XS_UNHANDLED_EXCEPTION_EXIT: why = "unhandled exception"; break;
    case XS_UNHANDLED_REJECTION_EXIT: why = "unhandled rejection"; break;
    case XS_TOO_MUCH_COMPUTATION_EXIT: why = "too much computation"; break;
    default: break;
    }
    if ((status == XS_UNHANDLED_EXCEPTION_EXIT || status == XS_UNHANDLED_REJECTION_EXIT) &&
        (mxException.kind == XS_STRING_KIND || mxException.kind == XS_STRING_X_KIND)) {
        fprintf(stderr, "xtml-xs: %s: %s\n", why, mxException.value.string);
    } else {
        fprintf(stderr, "xtml-xs: %s\n", why);
    }
    if (status == 2 || status == XS_NOT_ENOUGH_MEMORY_EXIT) {
        /* where it happened: each JavaScript frame, innermost first, with
         * how many stack slots lie above it (a device's "creation.stack" is
         * counted in the same slots) */
        txSlot *frame;
        char name[160];
        for (frame = the->frame; frame != NULL; frame = frame->next) {
            name[0] = 0;
            fxBufferFrameName(the, name, sizeof name, frame, "");
            fprintf(stderr, "  at %s, %ld slots from the top\n", name, (long)(the->stackTop - frame));
        }
    }
    exit(1);
}

/*
 * xtml-host's heap(collect): the XS heaps as [chunk bytes in use, chunk bytes
 * reserved, peak chunk bytes, slots in use, slots reserved, peak slots, bytes
 * per slot]; with collect true, after a garbage collection. "In use" is what
 * the last collection left plus what was allocated since; "reserved" is what
 * XS took from the system, which it grows only when a collection did not free
 * enough.
 */
void xs_host_heap(txMachine *the) {
    if (xsToBoolean(xsArg(0))) {
        xsCollectGarbage();
    }
    xsResult = xsNewArray(7);
    xsSetIndex(xsResult, 0, xsInteger((txInteger)the->currentChunksSize));
    xsSetIndex(xsResult, 1, xsInteger((txInteger)the->maximumChunksSize));
    xsSetIndex(xsResult, 2, xsInteger((txInteger)the->peakChunksSize));
    xsSetIndex(xsResult, 3, xsInteger((txInteger)the->currentHeapCount));
    xsSetIndex(xsResult, 4, xsInteger((txInteger)the->maximumHeapCount));
    xsSetIndex(xsResult, 5, xsInteger((txInteger)the->peakHeapCount));
    xsSetIndex(xsResult, 6, xsInteger((txInteger)sizeof(txSlot)));
}
