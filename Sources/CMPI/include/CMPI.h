// Open MPI, loaded at run time: the few collectives Millrace's data-parallel training uses.
//
// libmpi is opened with dlopen only when a run was launched by mpirun, so a plain `millrace`
// never needs Open MPI installed. The handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are the
// addresses of Open MPI's predefined globals, as its mpi.h defines them (Open MPI's ABI, 4.x and 5.x).
#ifndef CMPI_H
#define CMPI_H

/// Opens libmpi and resolves the functions and handles below. Returns 0, or -1 with a reason
/// in `message` (at most `capacity` bytes, terminated).
int cmpi_load(char *message, int capacity);

/// MPI_Init. Returns MPI's error code (0 on success).
int cmpi_init(void);

/// MPI_Comm_rank and MPI_Comm_size of MPI_COMM_WORLD.
int cmpi_rank(int *rank);
int cmpi_size(int *size);

/// MPI_Allgatherv of doubles on MPI_COMM_WORLD.
int cmpi_allgatherv_double(const double *send, int count, double *receive, const int *counts, const int *displacements);

/// MPI_Iallgatherv of floats on MPI_COMM_WORLD: starts it and stores its request in `request`.
/// The buffers and the counts and displacements must stay valid until cmpi_wait or cmpi_test completes it.
int cmpi_iallgatherv_float(const float *send, int count, float *receive, const int *counts, const int *displacements, void **request);

/// MPI_Wait on a request (frees it).
int cmpi_wait(void **request);

/// MPI_Test on a request: `done` becomes 1 when it completed (and was freed).
int cmpi_test(void **request, int *done);

/// MPI_Allreduce with MPI_SUM of floats, in place.
int cmpi_allreduce_sum_float(float *buffer, int count);

/// MPI_Allreduce with MPI_SUM of doubles, in place.
int cmpi_allreduce_sum_double(double *buffer, int count);

/// MPI_Finalize.
int cmpi_finalize(void);

/// MPI_Abort on MPI_COMM_WORLD (ends every rank).
int cmpi_abort(int code);

#endif
