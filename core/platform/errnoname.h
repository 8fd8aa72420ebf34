// The symbolic name of an errno value ("EROFS"), for messages that a person
// may search for. Linux: glibc's strerrorname_np (glibc 2.32). The null
// implementation knows no names and gives the number ("30"); a port adds its
// own table or its libc's equivalent.
#pragma once

#include <QString>

namespace lifeline {

QString errnoName(int err);

} // namespace lifeline
