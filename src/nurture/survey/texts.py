"""Interface text of the participant pages, in English and Spanish (ours)."""

TEXTS = {
    "en": {
        "title": "Nurturing Connections questionnaires",
        "welcome": "Thank you for taking part. These questions ask how you and your baby have been. There are no "
                   "right or wrong answers. Your answers are saved on every page, so you can stop and come back "
                   "later with the same link, on any device.",
        "start": "Start", "continue": "Save and continue", "back": "Save and go back", "review": "Review answers",
        "page_of": "Page {page} of {pages}", "recall": "Thinking about {period}:",
        "skip_note": "You may leave a question blank if you prefer not to answer.",
        "review_title": "Check your answers", "review_intro": "You can change any page before you send.",
        "not_answered": "not answered", "edit": "Change", "submit": "Send my answers",
        "done_title": "Thank you", "done": "Your answers have been sent. You can close this page.",
        "support_title": "You are not alone",
        "support": "Thank you for telling us how you feel. A member of our team will contact you soon. If you "
                   "might act on thoughts of harming yourself, or you feel unsafe right now, please reach out now:",
        "support_continue": "Continue with the questions",
        "invalid_unknown": "This link is not valid. Please check that you copied the whole link, or ask your "
                           "program coordinator for a new one.",
        "invalid_expired": "This link has expired. Please ask your program coordinator for a new one.",
        "invalid_revoked": "This link is no longer active. Please ask your program coordinator for a new one.",
        "invalid_closed": "This questionnaire is closed. Thank you.",
        "throttled": "Too many attempts from this device. Please wait a few minutes and try again.",
        "language": "Español", "error_intro": "Please check the answer marked below.",
        "open_placeholder": "Write your answer here (optional)",
    },
    "es": {
        "title": "Cuestionarios de Nurturing Connections",
        "welcome": "Gracias por participar. Estas preguntas tratan de cómo han estado usted y su bebé. No hay "
                   "respuestas correctas ni incorrectas. Sus respuestas se guardan en cada página, así que puede "
                   "parar y volver más tarde con el mismo enlace, en cualquier dispositivo.",
        "start": "Comenzar", "continue": "Guardar y continuar", "back": "Guardar y volver",
        "review": "Revisar respuestas", "page_of": "Página {page} de {pages}", "recall": "Pensando en {period}:",
        "skip_note": "Puede dejar una pregunta en blanco si prefiere no responder.",
        "review_title": "Revise sus respuestas", "review_intro": "Puede cambiar cualquier página antes de enviar.",
        "not_answered": "sin responder", "edit": "Cambiar", "submit": "Enviar mis respuestas",
        "done_title": "Gracias", "done": "Sus respuestas se enviaron. Puede cerrar esta página.",
        "support_title": "No está sola",
        "support": "Gracias por contarnos cómo se siente. Una persona de nuestro equipo se comunicará con usted "
                   "pronto. Si podría actuar según pensamientos de hacerse daño, o no se siente segura ahora mismo, "
                   "busque ayuda ahora:",
        "support_continue": "Continuar con las preguntas",
        "invalid_unknown": "Este enlace no es válido. Revise que copió el enlace completo o pida uno nuevo a la "
                           "coordinadora del programa.",
        "invalid_expired": "Este enlace venció. Pida uno nuevo a la coordinadora del programa.",
        "invalid_revoked": "Este enlace ya no está activo. Pida uno nuevo a la coordinadora del programa.",
        "invalid_closed": "Este cuestionario está cerrado. Gracias.",
        "throttled": "Demasiados intentos desde este dispositivo. Espere unos minutos e inténtelo de nuevo.",
        "language": "English", "error_intro": "Revise la respuesta marcada abajo.",
        "open_placeholder": "Escriba su respuesta aquí (opcional)",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])
