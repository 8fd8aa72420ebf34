// Systems without errno names: the number says which error it was.
#include "platform/errnoname.h"

namespace lifeline {

QString errnoName(int err)
{
    return QString::number(err);
}

} // namespace lifeline
