// libedit's native API (histedit.h). Swift cannot call C variadic functions, so each
// el_set/el_get/history operation segq uses gets a typed static inline wrapper here.
#ifndef SEGQ_CLIBEDIT_SHIM_H
#define SEGQ_CLIBEDIT_SHIM_H

#include <stdio.h>
#include <histedit.h>
#include <wchar.h>

/// The columns a character takes on the terminal (-1: not printable), by the C
/// library's locale. glibc declares wcwidth only for _XOPEN_SOURCE.
int wcwidth(wchar_t c);
static inline int segq_wcwidth(unsigned int c) {
    return wcwidth((wchar_t)c);
}

typedef char *(*segq_el_prompt_fn)(EditLine *);
typedef unsigned char (*segq_el_key_fn)(EditLine *, int);

static inline int segq_el_set_prompt(EditLine *el, segq_el_prompt_fn fn, char escape) {
    return el_set(el, EL_PROMPT_ESC, fn, escape);
}

static inline int segq_el_set_editor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}

static inline int segq_el_set_clientdata(EditLine *el, void *data) {
    return el_set(el, EL_CLIENTDATA, data);
}

static inline void *segq_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

static inline int segq_el_add_function(EditLine *el, const char *name, const char *help, segq_el_key_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}

static inline int segq_el_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, (const char *)NULL);
}

/// `setty -d -isig`: while a line is being edited the terminal sends Ctrl-C as a
/// character (bound to a function) instead of raising SIGINT.
static inline int segq_el_edit_mode_without_isig(EditLine *el) {
    return el_set(el, EL_SETTY, "-d", "-isig", (const char *)NULL);
}

typedef int (*segq_el_getc_fn)(EditLine *, wchar_t *);

/// The function libedit reads a character with (the live count's: it waits on the
/// terminal and on the count's pipe).
static inline int segq_el_set_getcfn(EditLine *el, segq_el_getc_fn fn) {
    return el_set(el, EL_GETCFN, fn);
}

/// The right prompt, drawn at the right end of the input's last row when it fits.
static inline int segq_el_set_rprompt(EditLine *el, segq_el_prompt_fn fn, char escape) {
    return el_set(el, EL_RPROMPT_ESC, fn, escape);
}

static inline int segq_el_set_history(EditLine *el, History *h) {
    return el_set(el, EL_HIST, history, h);
}

static inline int segq_el_set_signal(EditLine *el, int on) {
    return el_set(el, EL_SIGNAL, on);
}

static inline int segq_history_setsize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}

static inline int segq_history_setunique(History *h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}

static inline int segq_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

static inline int segq_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

static inline int segq_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

#endif
