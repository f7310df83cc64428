// The only place in Mobilise that includes libqrencode's header (Debian: libqrencode-dev).
// Its API is plain C with no variadic functions, so nothing else needs shimming.
#include <qrencode.h>
