#include "platform/errnoname.h"

#include <cstring>

namespace lifeline {

QString errnoName(int err)
{
    const char *name = strerrorname_np(err);
    return name ? QString::fromLatin1(name) : QString::number(err);
}

} // namespace lifeline
