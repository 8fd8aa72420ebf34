#include "application.h"

namespace lifeline {
int guiMain(int, char *[])
{
    return 0;
}
} // namespace lifeline
