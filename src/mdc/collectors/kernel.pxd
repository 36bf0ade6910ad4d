# The collectors kernel's C functions that other kernels call (``cimport``): one copy each.

cdef Py_ssize_t bisect_keys(list keys, double key, bint right) except -2
