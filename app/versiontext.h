// What `lifeline --version` and `lifelinectl --version` print: the version and
// the commit the build was configured from (app/versiontext.cpp.in).
#pragma once

#include <QString>

namespace lifeline {

// "PROGRAM VERSION (commit HASH)\n"; without the commit outside a git checkout.
QString versionText(const QString &program);
// The short commit hash, or empty.
QString buildCommit();

} // namespace lifeline
