#pragma once
#include <string>

#include "attractor/core/csr_matrix.hpp"

namespace attractor {

// Matrix Market exchange format (NIST), coordinate layout, field real, integer or pattern
// (pattern entries read as 1), symmetry general, symmetric or skew-symmetric (the mirrored
// entries are added). Interchangeable with scipy.io.mmread / mmwrite.
//
// Throws core::InputError("<path>: line L: <problem>") for a missing or malformed banner, an
// unsupported format (array, complex, hermitian), a bad size line, an index out of range, a
// non-numeric or non-finite value, fewer or more entries than declared.
core::CsrMatrix<double> read_matrix_market(const std::string& path);

// Writes coordinate real general (or symmetric: only the lower triangle is written, which the
// caller asserts is valid) with 17 significant digits, so values round-trip exactly; atomically.
void write_matrix_market(const std::string& path, const core::CsrMatrix<double>& matrix,
                         bool symmetric = false);

}  // namespace attractor
