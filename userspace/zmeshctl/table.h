// Plain-text tables and small formatting helpers for zmeshctl's human output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zmesh::zmeshctl {

// Columns left-aligned and separated by at least two spaces, kubectl style.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// 3725 -> "1h2m5s".
std::string format_duration(uint64_t seconds);

}  // namespace zmesh::zmeshctl
