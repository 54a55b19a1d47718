#include <stdint.h>

#include <libxml/parser.h>

#include "domain-xml.h"

xmlDoc *domain_xml_read(const char *xml, size_t len, xmlNode **root) {
        xmlDoc *doc;

        if (!xml || len == 0 || len > INT32_MAX)
                return NULL;
        doc = xmlReadMemory(xml, (int) len, "domain.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return NULL;
        *root = xmlDocGetRootElement(doc);
        if (!*root || (*root)->type != XML_ELEMENT_NODE || xmlStrcmp((*root)->name, (const xmlChar *) "domain") != 0) {
                xmlFreeDoc(doc);
                return NULL;
        }
        return doc;
}
