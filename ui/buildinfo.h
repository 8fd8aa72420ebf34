// Where this build came from, for Help > About and Help > README. Filled in by
// CMake at configure time (ui/buildinfo.cpp.in) in a file of its own, so a
// new commit recompiles that one file and nothing else.
#pragma once

#include <QString>

namespace lifeline::BuildInfo {

// The short commit hash, or empty when the build was not made from a git checkout.
QString gitCommit();
// The source tree the build was configured from (its README when run in place).
QString sourceDir();

} // namespace lifeline::BuildInfo
