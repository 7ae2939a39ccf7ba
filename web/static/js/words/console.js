// The vendor's console (/console).

export default {
  fr: {
    console_product: "ERO — Console éditeur",
    console_open: "Ouvrir la console éditeur",
    console_not_operator: "Console réservée à l'équipe de l'éditeur",
    console_not_operator_help: "Votre compte n'a pas le rôle d'opérateur. Vos rapports sont dans l'espace marchand.",
    console_to_merchant: "Aller à mon espace",
    console_nav_licences: "Licences",
    console_licence_new: "Nouvelle licence",
    console_licence_name: "Nom de la boutique",
    console_licence_owner: "E-mail du propriétaire (facultatif)",
    console_licence_create: "Créer la licence",
    console_licence_created: "Licence « {name} » créée.",
  },
  en: {
    console_product: "ERO — Vendor console",
    console_open: "Open the vendor console",
    console_not_operator: "This console is for the vendor's team",
    console_not_operator_help: "Your account does not have the operator role. Your reports are in the merchant pages.",
    console_to_merchant: "Go to my pages",
    console_nav_licences: "Licences",
    console_licence_new: "New licence",
    console_licence_name: "Shop name",
    console_licence_owner: "Owner's e-mail (optional)",
    console_licence_create: "Create the licence",
    console_licence_created: "Licence “{name}” created.",
  },
};
