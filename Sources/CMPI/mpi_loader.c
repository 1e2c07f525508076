#include "CMPI.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stddef.h>

// Open MPI's handles are pointers to its predefined objects; MPI_IN_PLACE is (void *) 1.
typedef void *Handle;
#define IN_PLACE ((void *)1)

static void *library;
static Handle world, float_type, double_type, sum_op;
static int (*init_fn)(int *, char ***);
static int (*rank_fn)(Handle, int *);
static int (*size_fn)(Handle, int *);
static int (*allgatherv_fn)(const void *, int, Handle, void *, const int *, const int *, Handle, Handle);
static int (*iallgatherv_fn)(const void *, int, Handle, void *, const int *, const int *, Handle, Handle, void **);
static int (*wait_fn)(void **, void *);
static int (*test_fn)(void **, int *, void *);
static int (*allreduce_fn)(const void *, void *, int, Handle, Handle, Handle);
static int (*finalize_fn)(void);
static int (*abort_fn)(Handle, int);

static void *symbol(const char *name, char *message, int capacity, int *failed) {
    void *address = dlsym(library, name);
    if (address == NULL && !*failed) {
        snprintf(message, (size_t)capacity, "libmpi has no symbol %s (not Open MPI 4 or 5?)", name);
        *failed = 1;
    }
    return address;
}

int cmpi_load(char *message, int capacity) {
    if (library != NULL) return 0;
    // RTLD_GLOBAL: Open MPI's components (loaded by libmpi itself) resolve libmpi's symbols.
    const char *names[] = {"libmpi.so.40", "libmpi.so"};
    for (int i = 0; i < 2 && library == NULL; i++) library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(message, (size_t)capacity, "cannot load Open MPI's libmpi.so.40: %s", reason ? reason : "not found");
        return -1;
    }
    int failed = 0;
    world = symbol("ompi_mpi_comm_world", message, capacity, &failed);
    float_type = symbol("ompi_mpi_float", message, capacity, &failed);
    double_type = symbol("ompi_mpi_double", message, capacity, &failed);
    sum_op = symbol("ompi_mpi_op_sum", message, capacity, &failed);
    *(void **)&init_fn = symbol("MPI_Init", message, capacity, &failed);
    *(void **)&rank_fn = symbol("MPI_Comm_rank", message, capacity, &failed);
    *(void **)&size_fn = symbol("MPI_Comm_size", message, capacity, &failed);
    *(void **)&allgatherv_fn = symbol("MPI_Allgatherv", message, capacity, &failed);
    *(void **)&allreduce_fn = symbol("MPI_Allreduce", message, capacity, &failed);
    *(void **)&iallgatherv_fn = symbol("MPI_Iallgatherv", message, capacity, &failed);
    *(void **)&wait_fn = symbol("MPI_Wait", message, capacity, &failed);
    *(void **)&test_fn = symbol("MPI_Test", message, capacity, &failed);
    *(void **)&finalize_fn = symbol("MPI_Finalize", message, capacity, &failed);
    *(void **)&abort_fn = symbol("MPI_Abort", message, capacity, &failed);
    if (failed) {
        dlclose(library);
        library = NULL;
        return -1;
    }
    return 0;
}

int cmpi_init(void) { return init_fn(NULL, NULL); }
int cmpi_rank(int *rank) { return rank_fn(world, rank); }
int cmpi_size(int *size) { return size_fn(world, size); }

int cmpi_allgatherv_double(const double *send, int count, double *receive, const int *counts, const int *displacements) {
    return allgatherv_fn(send, count, double_type, receive, counts, displacements, double_type, world);
}

// MPI_Request is a pointer in Open MPI; MPI_STATUS_IGNORE is a null pointer.
int cmpi_iallgatherv_float(const float *send, int count, float *receive, const int *counts, const int *displacements, void **request) {
    return iallgatherv_fn(send, count, float_type, receive, counts, displacements, float_type, world, request);
}

int cmpi_wait(void **request) { return wait_fn(request, NULL); }
int cmpi_test(void **request, int *done) { return test_fn(request, done, NULL); }

int cmpi_allreduce_sum_float(float *buffer, int count) { return allreduce_fn(IN_PLACE, buffer, count, float_type, sum_op, world); }
int cmpi_allreduce_sum_double(double *buffer, int count) { return allreduce_fn(IN_PLACE, buffer, count, double_type, sum_op, world); }
int cmpi_finalize(void) { return finalize_fn(); }
int cmpi_abort(int code) { return abort_fn(world, code); }
