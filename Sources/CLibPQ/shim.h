// The only place in Mobilise that includes libpq's header.
// libpq's API is plain C with no variadic functions, so nothing else needs shimming.
#include <libpq-fe.h>
