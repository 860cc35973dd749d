#ifndef VSW_VERSION_H
#define VSW_VERSION_H
#define VSW_VERSION "0.1.0"
#endif
